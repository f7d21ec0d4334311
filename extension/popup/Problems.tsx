/**
 * The popup's problems: per agent, how many problems (and warnings) it reports, the first
 * problems' sentences linking to the panel's Problems view of that agent, and the opt-in to a
 * browser notification when a new problem appears (the background sends them: notify.ts).
 */
import browser from "webextension-polyfill";
import type { Agent } from "../agents/agents";
import { setAgentNotify } from "../agents/store";
import type { AgentStatus, AgentStatusMap } from "../background/status";
import { Badge } from "../components/badges";
import { plural } from "../shared/format";
import { problemsPath } from "../shared/problem-link";

/** Problem sentences shown per agent; the rest are one "+N more" link. */
const SHOWN = 3;

type OpenView = (agent: Agent, view: string) => void;

/**
 * A link to the agent's Problems view, at `findingId` when given: a real href (hover, copy),
 * opened the popup's own way on click (which makes the agent the panel's current one).
 */
function ProblemsLink({ agent, findingId, onOpen, children }: { agent: Agent; findingId?: string; onOpen: OpenView; children: string }) {
  const view = problemsPath(findingId);
  return (
    <a
      href={browser.runtime.getURL(`panel.html#/${view}`)}
      onClick={(event) => {
        event.preventDefault();
        onOpen(agent, view);
      }}
    >
      {children}
    </a>
  );
}

function Counts({ status }: { status: AgentStatus | undefined }) {
  const findings = status?.findings;
  if (!findings) return <span class="dim">not known yet</span>;
  if (!findings.problem && !findings.warning) return <Badge tone="ok">no problem</Badge>;
  return (
    <>
      {findings.problem ? <Badge tone="bad">{plural(findings.problem, "problem")}</Badge> : <Badge tone="ok">no problem</Badge>}
      {findings.warning ? <span class="dim"> · {plural(findings.warning, "warning")}</span> : null}
    </>
  );
}

function AgentProblems({ agent, status, onOpen }: { agent: Agent; status: AgentStatus | undefined; onOpen: OpenView }) {
  const findings = status?.findings;
  const shown = findings?.problems.slice(0, SHOWN) ?? [];
  const more = (findings?.problem ?? 0) - shown.length;
  const reachable = status?.connection.kind === "connected" || status?.connection.kind === "degraded";
  return (
    <li data-problems={agent.name} data-problem-count={findings?.problem ?? ""}>
      <div class="row">
        <strong>{agent.name}</strong>
        <Counts status={status} />
        {findings && !reachable ? <span class="dim">(last known)</span> : null}
      </div>
      {shown.length ? (
        <ul class="problem-sentences">
          {shown.map((problem) => (
            <li key={problem.id} data-kind={problem.kind}>
              <ProblemsLink agent={agent} findingId={problem.id} onOpen={onOpen}>
                {problem.sentence}
              </ProblemsLink>
            </li>
          ))}
          {more > 0 ? (
            <li>
              <ProblemsLink agent={agent} onOpen={onOpen}>{`+${more} more`}</ProblemsLink>
            </li>
          ) : null}
        </ul>
      ) : null}
      <label class="notify-toggle">
        <input type="checkbox" checked={agent.notify === true} onChange={(event) => void setAgentNotify(agent.id, event.currentTarget.checked)} />
        Notify me of new problems
      </label>
    </li>
  );
}

export function ProblemsSection({ agents, statuses, onOpen }: { agents: readonly Agent[]; statuses: AgentStatusMap; onOpen: OpenView }) {
  if (!agents.length) return null;
  return (
    <section class="problems" aria-label="Problems">
      <h2>Problems</h2>
      <ul class="problem-agents">
        {agents.map((agent) => (
          <AgentProblems key={agent.id} agent={agent} status={statuses[agent.id]} onOpen={onOpen} />
        ))}
      </ul>
    </section>
  );
}
