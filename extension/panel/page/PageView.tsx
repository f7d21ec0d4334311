/**
 * "This page": the inspected page's requests that started tasks, each with its tasks and their
 * descendants, live. Only in devtools (a plain tab has no page to watch, unless a test feeds one).
 */
import { useEffect, useState } from "preact/hooks";
import type { Agent } from "../../agents/agents";
import { setCurrentAgent, setPageAgent } from "../../agents/store";
import { StateBadge } from "../../components/badges";
import { useStoredState } from "../../components/use-stored-state";
import { formatDuration, formatPayload, formatTimestamp } from "../../shared/format";
import { usePanel } from "../live";
import { href, navigate } from "../router";
import { usePageOrigin } from "./page-agent";
import { revealRequest } from "./page-network";
import type { PageRequest, PageTask, PageTasks } from "./page-tasks";

/** Re-renders on every change of the page's tasks. */
export function usePageTasks(): PageTasks | undefined {
  const { page } = usePanel();
  const [, setTick] = useState(0);
  useEffect(() => page?.subscribe(() => setTick((n) => n + 1)), [page]);
  return page;
}

/** A task's detail view is the current agent's: asked of another agent, the task makes that one current first. */
function openTask(event: MouseEvent, page: PageTasks, id: string, currentId: string): void {
  const { agentId } = page;
  if (!agentId || agentId === currentId) return;
  event.preventDefault();
  void setCurrentAgent(agentId).then(() => navigate({ view: "task", id }));
}

function TaskLine({ page, task, seen }: { page: PageTasks; task: PageTask; seen: Set<string> }) {
  const { agent } = usePanel();
  seen.add(task.id);
  const outcome = task.exception ?? task.result;
  const children = task.children.flatMap((id) => (seen.has(id) ? [] : [page.tasks.get(id) ?? id]));
  return (
    <li data-task={task.id}>
      <StateBadge state={task.state} lost={task.lost} waiting={task.waiting} eta={task.eta} />{" "}
      <a href={href({ view: "task", id: task.id })} onClick={(e) => openTask(e, page, task.id, agent.id)}>
        {task.name ?? task.id}
      </a>{" "}
      <span class="dim mono">{task.id.slice(0, 8)}</span>
      {task.runtime !== null ? ` ${formatDuration(task.runtime)}` : ""}
      {outcome !== null ? <span class="mono"> → {formatPayload(outcome)}</span> : null}
      {children.length ? (
        <ul>
          {children.map((child) =>
            typeof child === "string" ? (
              <li key={child} class="dim mono">
                {child} (looking it up)
              </li>
            ) : (
              <TaskLine key={child.id} page={page} task={child} seen={seen} />
            ),
          )}
        </ul>
      ) : null}
    </li>
  );
}

function RequestBlock({ page, request }: { page: PageTasks; request: PageRequest }) {
  const tasks = request.ids.flatMap((id) => page.tasks.get(id) ?? []);
  if (!tasks.length) return null;
  const seen = new Set<string>();
  return (
    <section class="page-request" data-request={request.url}>
      <div class="mono">
        <b>{request.method}</b>{" "}
        <a
          href={request.url}
          target="_blank"
          rel="noreferrer"
          title="Show this request in the Network panel"
          onClick={(e) => {
            e.preventDefault();
            void revealRequest(request.url, request.method);
          }}
        >
          {request.url}
        </a>{" "}
        <span class="dim">{request.status}</span>{" "}
        <span class="dim">
          {formatTimestamp(request.startedAt)} ({Math.round(request.durationMs)} ms)
        </span>
      </div>
      <ul>{tasks.map((t) => (seen.has(t.id) ? null : <TaskLine key={t.id} page={page} task={t} seen={seen} />))}</ul>
    </section>
  );
}

/** The agent asked about this site's tasks; a choice here is remembered for the site (page-agent.ts). */
function AgentChoice({ page }: { page: PageTasks }) {
  const stored = useStoredState();
  const origin = usePageOrigin(page);
  if (!stored || stored.agents.length < 2 || !origin) return null;
  const choose = (id: string) => void setPageAgent(origin, id);
  return (
    <label data-page-agent>
      Agent for {origin}:{" "}
      <select value={page.agentId ?? ""} onChange={(e) => choose(e.currentTarget.value)}>
        {stored.agents.map((a: Agent) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function PageView() {
  const page = usePageTasks();
  if (!page) return <p class="dim">This view shows the tasks the inspected page's requests started: open it in the browser's devtools.</p>;
  const shown = page.requests.filter((r) => r.ids.some((id) => page.tasks.has(id)));
  return (
    <div data-view="page">
      <div class="view-header">
        <h1>This page</h1>
        <AgentChoice page={page} />
        <label>
          <input type="checkbox" checked={page.preserveLog} onChange={(e) => page.setPreserveLog(e.currentTarget.checked)} /> Preserve log
        </label>
        <button type="button" onClick={() => page.clear()}>
          Clear
        </button>
      </div>
      {shown.length ? (
        [...shown].reverse().map((r) => <RequestBlock key={r.key} page={page} request={r} />)
      ) : (
        <p class="dim">No request of the inspected page has started a task the agent knows yet. Requests are read while this panel is open.</p>
      )}
    </div>
  );
}
