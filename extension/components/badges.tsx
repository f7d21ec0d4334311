/** Colored labels for task states, worker status and agent connection. */
import type { ComponentChildren } from "preact";
import type { Lost, TaskState, WorkerSummary } from "../../agent/api/schema";
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

export function StateBadge({ state, lost }: { state: TaskState; lost?: Lost | null }) {
  return (
    <span class={`badge ${STATE_TONES[state]} state`} data-state={state} title={state === "LOST" ? lostTitle(lost) : undefined}>
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
