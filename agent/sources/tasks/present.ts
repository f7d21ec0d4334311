/** Tasks as the API shows them: table rows with short previews, and the full detail. */
import type { Hidden, TaskDetail, TaskRow } from "../../api/schema";
import { preview } from "../values";
import { valueText } from "./query";
import type { StoredValue, TaskRecord } from "./record";

const FAILED = new Set(["FAILURE", "RETRY", "REVOKED", "REJECTED"]);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const short = (v: StoredValue | null) => (v === null ? null : preview(valueText(v)));

export function taskRow(t: TaskRecord): TaskRow {
  return {
    id: t.id,
    name: t.name,
    state: t.state,
    args: short(t.args),
    kwargs: short(t.kwargs),
    result: t.state === "SUCCESS" ? short(t.result) : null,
    // A task that failed and then succeeded on retry keeps its exceptions in the timeline only.
    exception: FAILED.has(t.state) ? t.exception : null,
    sent: iso(t.sent),
    received: iso(t.received),
    started: iso(t.started),
    finished: iso(t.finished),
    runtime: t.runtime,
    worker: t.worker,
    queue: t.queue,
    retries: t.retries,
    root_id: t.rootId,
    parent_id: t.parentId,
    lost: t.lost && { worker: t.lost.worker, at: iso(t.lost.at)!, reason: t.lost.reason },
    waiting: t.waiting && { queue: t.waiting.queue, position: t.waiting.position, priority: t.waiting.priority, seen_at: iso(t.waiting.seenAt)! },
    eta: isoTime(t.eta),
  };
}

/** A time as Celery wrote it (e.g. `2026-12-01T16:50:03.120000+00:00`) in UTC ISO form, when it parses. */
function isoTime(s: string | null): string | null {
  const ms = s === null ? NaN : Date.parse(s);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : s;
}

export interface DetailExtras {
  /** Child ids found by other tasks naming this one as parent. */
  children: string[];
  timeLimit: { soft: number | null; hard: number | null } | null;
  /** The view's source line. */
  source: string;
}

export function taskDetail(t: TaskRecord, extras: DetailExtras): TaskDetail {
  const children = [...new Set([...t.children, ...extras.children])];
  return {
    ...taskRow(t),
    args_value: t.args,
    kwargs_value: t.kwargs,
    result_value: t.state === "SUCCESS" ? t.result : null,
    exception_info: t.excType || t.excMessage || t.exception ? { type: t.excType ?? typeFromRepr(t.exception), message: t.excMessage, module: t.excModule } : null,
    traceback: t.traceback,
    eta: isoTime(t.eta),
    expires: isoTime(t.expires),
    time_limit: extras.timeLimit,
    children,
    exchange: t.exchange,
    routing_key: t.routingKey,
    priority: t.priority,
    timeline: t.timeline.map((x) => ({ type: x.type, at: new Date(x.at).toISOString(), hostname: x.hostname, source: x.source, detail: x.detail })),
    sources: [...(t.fromEvents ? (["events"] as const) : []), ...(t.fromBackend ? (["result_backend"] as const) : []), ...(t.waiting ? (["broker"] as const) : [])],
    source: extras.source,
  };
}

function typeFromRepr(repr: string | null): string | null {
  const m = repr ? /^([A-Za-z_][\w.]*)\(/.exec(repr) : null;
  return m ? m[1]! : null;
}

/** Timeline entries whose detail never carries payload (a runtime, "expired", "requeued"); others may quote an exception. */
const SAFE_DETAIL = new Set(["task-succeeded", "task-revoked", "task-rejected", "task-received", "waiting"]);
const hide = <T>(v: T | null, hidden: Hidden): T | Hidden | null => (v === null ? null : hidden);

/** The row with its payload fields replaced by `hidden` (null stays null: nothing was there to hide). */
export function hideRowPayloads<R extends TaskRow>(row: R, hidden: Hidden): R {
  return { ...row, args: hide(row.args, hidden), kwargs: hide(row.kwargs, hidden), result: hide(row.result, hidden), exception: hide(row.exception, hidden) };
}

/** The detail with every payload field hidden; the exception's type and module stay (they are code, not data). */
export function hideDetailPayloads(d: TaskDetail, hidden: Hidden): TaskDetail {
  return {
    ...hideRowPayloads(d, hidden),
    args_value: hide(d.args_value, hidden),
    kwargs_value: hide(d.kwargs_value, hidden),
    result_value: hide(d.result_value, hidden),
    exception_info: d.exception_info ? { ...d.exception_info, message: hide(d.exception_info.message, hidden) } : null,
    traceback: hide(d.traceback, hidden),
    timeline: d.timeline.map((e) => (SAFE_DETAIL.has(e.type) ? e : { ...e, detail: hide(e.detail, hidden) })),
  };
}
