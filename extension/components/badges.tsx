/** Colored labels for task states, worker status and agent connection. */
import type { ComponentChildren } from "preact";
import type { TaskState, WorkerSummary } from "../../agent/api/schema";
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
  RETRY: "warn",
  REVOKED: "warn",
  STARTED: "info",
  RECEIVED: "info",
  PENDING: "muted",
};

/** Every task state, in the order filters list them. */
export const TASK_STATES = Object.keys(STATE_TONES) as TaskState[];

export function StateBadge({ state }: { state: TaskState }) {
  return (
    <span class={`badge ${STATE_TONES[state]} state`} data-state={state}>
      {state.toLowerCase()}
    </span>
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

const CONNECTION_TONES: Record<ConnectionState["kind"], Tone> = { connecting: "muted", connected: "ok", degraded: "warn", unreachable: "bad", unauthorized: "bad" };

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
