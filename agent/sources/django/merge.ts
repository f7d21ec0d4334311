/**
 * A task both the live store (events, Redis) and the tasks database know: the live record gives
 * the runtime, the queue, the event timeline and the times of each step; the database row is
 * applied on top by Celery's state precedence (as a result-backend write is), so the durable final
 * state wins over a stale event state and a newer event state over a stale row.
 */
import type { TaskRecord } from "../tasks/record";
import { applyMeta } from "../tasks/record-merge";
import type { DbTask } from "./tasks";

export function mergeWithLive(db: DbTask, live: TaskRecord | null | undefined): TaskRecord {
  if (!live) return db.record;
  const t = structuredClone(live);
  if (db.meta) applyMeta(t, db.meta);
  // Events carry the same argsrepr the table stores; keep whichever came first.
  t.args ??= db.record.args;
  t.kwargs ??= db.record.kwargs;
  if (t.state === "SUCCESS" && t.result === null) t.result = db.record.result;
  t.received ??= db.record.received;
  return t;
}
