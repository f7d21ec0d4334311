/**
 * Celery events as they arrive on the event exchange: one event per message, or a JSON array of
 * them on `task.multi`. Only well-formed worker-* and task-* events get through; the rest are counted.
 */
import { isRecord } from "./envelope";

export interface CeleryEvent {
  type: string;
  hostname: string;
  /** Worker's clock, seconds since the epoch (as the worker sent it). */
  timestamp: number;
  /** The agent's clock when the event arrived: liveness is judged on this, so skewed clocks do not matter. */
  receivedAt: number;
  utcoffset: number | null;
  clock: number | null;
  pid: number | null;
  fields: Record<string, unknown>;
}

export const WORKER_EVENTS = new Set(["worker-online", "worker-heartbeat", "worker-offline"]);
export const TASK_EVENTS = new Set([
  "task-sent",
  "task-received",
  "task-started",
  "task-succeeded",
  "task-failed",
  "task-retried",
  "task-revoked",
  "task-rejected",
]);

export type EventRejection = "event_not_object" | "event_unknown_type" | "event_missing_fields";

export function eventsFromBody(body: unknown, receivedAt: number, reject: (why: EventRejection) => void): CeleryEvent[] {
  const items = Array.isArray(body) ? body : [body];
  const out: CeleryEvent[] = [];
  for (const item of items) {
    const e = toEvent(item, receivedAt);
    if (typeof e === "string") reject(e);
    else out.push(e);
  }
  return out;
}

function toEvent(item: unknown, receivedAt: number): CeleryEvent | EventRejection {
  if (!isRecord(item)) return "event_not_object";
  const { type, hostname, timestamp } = item;
  if (typeof type !== "string" || !(WORKER_EVENTS.has(type) || TASK_EVENTS.has(type))) return "event_unknown_type";
  if (typeof hostname !== "string" || !hostname || typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
    return "event_missing_fields";
  }
  if (TASK_EVENTS.has(type) && typeof item.uuid !== "string") return "event_missing_fields";
  return {
    type,
    hostname,
    timestamp,
    receivedAt,
    utcoffset: num(item.utcoffset),
    clock: num(item.clock),
    pid: num(item.pid),
    fields: item,
  };
}

export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}
