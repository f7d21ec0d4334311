/**
 * A celery_taskmeta row as a TaskMeta, the record every result backend gives. What Celery's
 * database backend stores (celery/backends/database/models.py): `result` is always a pickle
 * (SQLAlchemy's PickleType) of the result as prepared for result_serializer: with json, plain
 * data that pickle-data.ts reads; with pickle, Python objects, shown as "pickled, N bytes".
 * With result_extended the row also has name, args and kwargs (bytes in result_serializer's
 * format: JSON read, anything else shown by size), worker, retries and queue.
 */
import { parseDbTime, type Row } from "../../base/sql/db";
import { parseJson } from "../envelope";
import { num, str } from "../events";
import type { TaskMeta } from "../result-meta";
import { readPickledData } from "./pickle-data";

/** States after which Celery writes no more (date_done is then the finish time). */
const READY = new Set(["SUCCESS", "FAILURE", "REVOKED"]);
const MAX_DEPTH = 64;

/** Unfinished: the row may still change (STARTED, RETRY, PENDING, a custom state). */
export function isUnfinished(status: string): boolean {
  return !READY.has(status);
}

/** The columns read, with date_done as UTC text (the dialect's timeText) in `done_text`. */
export function taskmetaColumns(timeText: (c: string) => string): string {
  return `*, ${timeText("date_done")} AS done_text`;
}

/** Bytes as the drivers give them (Buffer from both), or null. */
function bytesOf(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === "string") return Buffer.from(v, "utf8");
  return null;
}

/** A pickled column: its plain data, or a note saying it holds Python objects and its size. */
export function unpickled(v: unknown): unknown {
  const b = bytesOf(v);
  if (!b) return null;
  const read = readPickledData(b);
  return read.ok ? read.value : `pickled, ${b.length} bytes (Python objects: not decoded)`;
}

/** args / kwargs: bytes in result_serializer's format. */
export function serialized(v: unknown): unknown {
  const b = bytesOf(v);
  if (!b) return null;
  if (b[0] === 0x80) return unpickled(b);
  const parsed = parseJson(b.toString("utf8"), MAX_DEPTH);
  return parsed.ok ? parsed.value : `serialized, ${b.length} bytes (not JSON: not decoded)`;
}

export function metaFromRow(row: Row, seenAt: number): TaskMeta | null {
  const taskId = str(row.task_id);
  const status = str(row.status);
  if (!taskId || !status) return null;
  const doneUs = parseDbTime(row.done_text);
  const doneMs = doneUs === null ? null : Math.floor(doneUs / 1000);
  return {
    taskId,
    status,
    result: unpickled(row.result),
    traceback: str(row.traceback),
    // The table keeps no children (Celery stores them only in key-value backends' meta).
    children: [],
    // date_done is rewritten on every save: a finish time only once the task is ready.
    dateDone: READY.has(status) ? doneMs : null,
    name: str(row.name),
    args: serialized(row.args),
    kwargs: serialized(row.kwargs),
    worker: str(row.worker),
    retries: num(row.retries),
    queue: str(row.queue),
    parentId: null,
    rootId: null,
    seenAt: doneMs ?? seenAt,
  };
}
