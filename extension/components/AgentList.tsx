/** The agents with their reachability and a short summary; pick, edit, remove. Popup and panel. */
import { useState } from "preact/hooks";
import type { Agent } from "../agents/agents";
import { deleteAgent, setCurrentAgent } from "../agents/store";
import type { AgentStatus, AgentStatusMap } from "../background/status";
import { plural } from "../shared/format";
import { AgentForm } from "./AgentForm";
import { ConnectionBadge } from "./badges";

export interface AgentListProps {
  agents: readonly Agent[];
  currentId: string | null;
  statuses: AgentStatusMap;
  /** Opens the panel for this agent (the popup offers it). */
  onOpen?: (agent: Agent) => void;
}

export function AgentSummaryLine({ status }: { status: AgentStatus | undefined }) {
  if (status?.problem) return <span class="dim">{status.problem}</span>;
  const summary = status?.summary;
  if (!summary) return null;
  return (
    <span class="summary">
      {summary.workersOnline} online · <span class={summary.workersOffline ? "bad-text" : undefined}>{summary.workersOffline} offline</span> ·{" "}
      {plural(summary.failedLastHour, "failure")} in the last hour
    </span>
  );
}

function AgentRow({ agent, agents, current, status, onOpen }: { agent: Agent; agents: readonly Agent[]; current: boolean; status: AgentStatus | undefined; onOpen?: (agent: Agent) => void }) {
  const [mode, setMode] = useState<"view" | "edit" | "confirm-remove">("view");
  if (mode === "edit") return <li class="agent editing"><AgentForm agents={agents} agent={agent} onDone={() => setMode("view")} onCancel={() => setMode("view")} /></li>;
  return (
    <li class={`agent${current ? " current" : ""}`} data-agent={agent.name}>
      <div class="row">
        <label class="pick">
          <input type="radio" name="current-agent" checked={current} onChange={() => void setCurrentAgent(agent.id)} aria-label={`Use ${agent.name}`} />
          <strong>{agent.name}</strong>
        </label>
        <ConnectionBadge state={status?.connection} />
        <span class="spacer" />
        {onOpen ? (
          <button type="button" onClick={() => onOpen(agent)}>
            Open panel
          </button>
        ) : null}
        <button type="button" onClick={() => setMode("edit")}>
          Edit
        </button>
        {mode === "confirm-remove" ? (
          <>
            <button type="button" class="danger" onClick={() => void deleteAgent(agent.id)}>
              Remove {agent.name}?
            </button>
            <button type="button" onClick={() => setMode("view")}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setMode("confirm-remove")}>
            Remove
          </button>
        )}
      </div>
      <div class="dim mono">{agent.url}</div>
      {status?.connection.kind === "unreachable" || status?.connection.kind === "unauthorized" || status?.connection.kind === "degraded" ? (
        <div class={`${status.connection.kind === "degraded" ? "warn-text" : "bad-text"} connection-reason`}>
          <ConnectionBadge state={status.connection} long />
        </div>
      ) : (
        <AgentSummaryLine status={status} />
      )}
    </li>
  );
}

export function AgentList({ agents, currentId, statuses, onOpen }: AgentListProps) {
  if (agents.length === 0) return <div class="state-line empty">No agent yet: add one below with its URL.</div>;
  return (
    <ul class="agent-list">
      {agents.map((agent) => (
        <AgentRow key={agent.id} agent={agent} agents={agents} current={agent.id === currentId} status={statuses[agent.id]} onOpen={onOpen} />
      ))}
    </ul>
  );
}
