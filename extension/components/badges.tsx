/** Colored labels for task states, worker status and agent connection. */
import type { ComponentChildren } from "preact";
import type { Lost, TaskRow, TaskState, Waiting, WorkerSummary } from "../../agent/api/schema";
import { describeConnection, type ConnectionState } from "../shared/connection";

export type Tone = "ok" | "bad" | "warn" | "info" | "muted";

export function Badge({ tone, title, children }: { tone: Tone; title?: string; children: ComponentChildren }) {
  return (
    <span class={`badge ${tone}`} title={title}>
      {children}
    </span>
  );
}

const STATE_TONES: Record<TaskState, Tone> = {
  SUCCESS: "ok",
  FAILURE: "bad",
  REJECTED: "bad",
  // The agent's verdict: the worker holding it died (or restarted). Not a failure the task reported.
  LOST: "bad",
  RETRY: "warn",
  REVOKED: "warn",
  STARTED: "info",
  // The agent's name for received with an ETA ahead: the worker holds it until then.
  SCHEDULED: "info",
  RECEIVED: "info",
  PENDING: "muted",
};

/** Every task state, in the order filters list them. */
export const TASK_STATES = Object.keys(STATE_TONES) as TaskState[];

/** What a LOST task's badge says on hover: where it was lost, when, and why. */
export function lostTitle(lost: Lost | null | undefined): string {
  const why = "the agent's verdict, replaced by any later event or result";
  return lost ? `lost on ${lost.worker} at ${lost.at}: ${lost.reason} (${why})` : `the worker holding it went offline or restarted (${why})`;
}

/** Where a waiting message sits, in words. */
export function waitingText(w: Waiting): string {
  return `waiting in ${w.queue}, #${w.position} in line, priority ${w.priority} (read from the broker; no worker has it yet)`;
}

function stateTitle(state: TaskState, lost: Lost | null | undefined, waiting: Waiting | null | undefined, eta: string | null | undefined): string | undefined {
  if (waiting) return waitingText(waiting);
  if (state === "LOST") return lostTitle(lost);
  if (state === "SCHEDULED") return `received with an ETA${eta ? ` (${eta})` : ""}: the worker runs it then`;
  return undefined;
}

export function StateBadge({ state, lost, waiting, eta }: { state: TaskState; lost?: Lost | null; waiting?: Waiting | null; eta?: string | null }) {
  return (
    <span class={`badge ${STATE_TONES[state]} state`} data-state={state} data-waiting={waiting ? "" : undefined} title={stateTitle(state, lost, waiting, eta)}>
      {state.toLowerCase()}
    </span>
  );
}

/** A task row's state: the badge, and where it waits or when it is due. */
export function TaskStateCell({ task, when }: { task: Pick<TaskRow, "state" | "lost" | "waiting" | "eta">; when: (iso: string) => ComponentChildren }) {
  const w = task.waiting;
  return (
    <>
      <StateBadge state={task.state} lost={task.lost} waiting={w} eta={task.eta} />
      {w ? (
        <span class="dim state-note" data-waiting-position={w.position}>
          {" "}
          waiting #{w.position} · p{w.priority}
        </span>
      ) : task.state === "SCHEDULED" && task.eta ? (
        <span class="dim state-note" data-eta={task.eta}>
          {" "}
          due {when(task.eta)}
        </span>
      ) : null}
    </>
  );
}

export function WorkerStatusBadge({ worker }: { worker: Pick<WorkerSummary, "status" | "busy" | "status_detail"> }) {
  const tone: Tone = worker.status === "offline" ? "bad" : worker.busy ? "warn" : "ok";
  const label = worker.status === "offline" ? "offline" : worker.busy ? "online · busy" : "online";
  return (
    <Badge tone={tone} title={worker.status_detail ?? undefined}>
      {label}
    </Badge>
  );
}

const CONNECTION_TONES: Record<ConnectionState["kind"], Tone> = {
  connecting: "muted",
  connected: "ok",
  degraded: "warn",
  unreachable: "bad",
  unauthorized: "bad",
};

/** A dot and the state's name; the reason, when there is one, in the tooltip and (full) in `long`. */
export function ConnectionBadge({ state, long = false }: { state: ConnectionState | undefined; long?: boolean }) {
  const current = state ?? { kind: "connecting" };
  const tone = CONNECTION_TONES[current.kind];
  return (
    <span class="connection" data-connection={current.kind} title={describeConnection(current)}>
      <span class={`dot ${tone === "muted" ? "" : tone}`} />
      {long ? describeConnection(current) : current.kind}
    </span>
  );
}
