/** The agents with their reachability and a short summary; pick, edit, remove. Popup and panel. */
import { useState } from "preact/hooks";
import type { Agent } from "../agents/agents";
import { deleteAgent, setCurrentAgent } from "../agents/store";
import type { AgentStatus, AgentStatusMap } from "../background/status";
import { formatAsOf, plural } from "../shared/format";
import { freshnessOf } from "../shared/freshness";
import { AgentForm } from "./AgentForm";
import { ConnectionBadge } from "./badges";
import { useLinked, useNow } from "./use-live-statuses";

export interface AgentListProps {
  agents: readonly Agent[];
  currentId: string | null;
  statuses: AgentStatusMap;
  /** Opens the panel for this agent (the popup offers it). */
  onOpen?: (agent: Agent) => void;
}

/** The agent's figures; greyed with their age when they are not current. */
export function AgentSummaryLine({ status, now }: { status: AgentStatus | undefined; now: number }) {
  const linked = useLinked();
  if (status?.problem) return <span class="dim">{status.problem}</span>;
  const summary = status?.summary;
  if (!summary) return null;
  const { current, asOf } = freshnessOf(status, now, linked);
  return (
    <div class={`summary${current ? "" : " last-known"}`} data-current={current}>
      {summary.workersOnline} online · <span class={summary.workersOffline ? "bad-text" : undefined}>{summary.workersOffline} offline</span> ·{" "}
      {plural(summary.failedLastHour, "failure")} in the last hour
      {!current && asOf !== null ? <span class="stale-age"> · {formatAsOf(asOf, now)}</span> : null}
    </div>
  );
}

function AgentRow({
  agent,
  agents,
  current,
  status,
  onOpen,
}: {
  agent: Agent;
  agents: readonly Agent[];
  current: boolean;
  status: AgentStatus | undefined;
  onOpen?: (agent: Agent) => void;
}) {
  const [mode, setMode] = useState<"view" | "edit" | "confirm-remove">("view");
  const linked = useLinked();
  const now = useNow();
  const { connection } = freshnessOf(status, now, linked);
  if (mode === "edit")
    return (
      <li class="agent editing">
        <AgentForm agents={agents} agent={agent} onDone={() => setMode("view")} onCancel={() => setMode("view")} />
      </li>
    );
  return (
    <li class={`agent${current ? " current" : ""}`} data-agent={agent.name}>
      <div class="row">
        <label class="pick">
          <input type="radio" name="current-agent" checked={current} onChange={() => void setCurrentAgent(agent.id)} aria-label={`Use ${agent.name}`} />
          <strong>{agent.name}</strong>
        </label>
        <ConnectionBadge state={connection} />
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
      {connection.kind === "unreachable" || connection.kind === "unauthorized" || connection.kind === "degraded" ? (
        <div class={`${connection.kind === "degraded" ? "warn-text" : "bad-text"} connection-reason`}>
          <ConnectionBadge state={connection} long />
        </div>
      ) : null}
      {connection.kind === "unauthorized" ? null : <AgentSummaryLine status={status} now={now} />}
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
