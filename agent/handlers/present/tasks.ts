/** Tasks as the API shows them: table rows with short previews, and the full detail. */
import type { Hidden, TaskDetail, TaskRow, TaskState, TimelineEntry } from "../../api/schema";
import { preview } from "../../sources/values";
import { valueText } from "../../sources/tasks/query";
import { isInferred, type StoredValue, type TaskRecord } from "../../sources/tasks/record";

const FAILED = new Set<TaskState>(["FAILURE", "RETRY", "REVOKED", "REJECTED"]);
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
    queue_source: t.queueSource,
    queue_inferred: isInferred(t.queueSource),
    retries: t.retries,
    root_id: t.rootId,
    parent_id: t.parentId,
    lost: t.lost && { worker: t.lost.worker, at: iso(t.lost.at)!, reason: t.lost.reason },
    waiting: t.waiting && { queue: t.waiting.queue, position: t.waiting.position, priority: t.waiting.priority, seen_at: iso(t.waiting.seenAt)! },
    eta: isoTime(t.eta),
    note: resultOnly(t) ? RESULT_ONLY : null,
  };
}

/** A time as Celery wrote it (e.g. `2026-12-01T16:50:03.120000+00:00`) in UTC ISO form, when it parses. */
function isoTime(s: string | null): string | null {
  const ms = s === null ? NaN : Date.parse(s);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : s;
}

/** A task no event told of, whose stored result names nothing: all there is, is its outcome. */
const resultOnly = (t: TaskRecord) => !t.fromEvents && t.fromBackend && t.name === null;

export const RESULT_ONLY =
  "Only the stored result is known: this task ran before the agent was watching (no task events), and its result-backend record has no name, " +
  "arguments, worker or queue because the workers do not set result_extended = True.";

export interface DetailExtras {
  /** Child ids found by other tasks naming this one as parent. */
  children: string[];
  timeLimit: { soft: number | null; hard: number | null } | null;
  /** The view's source line. */
  source: string;
}

export function taskDetail(t: TaskRecord, extras: DetailExtras): TaskDetail {
  // A retry is re-sent from within the task: Celery lists the task as its own child.
  const children = [...new Set([...t.children, ...extras.children])].filter((c) => c !== t.id);
  // The exception of a task that retried and then succeeded belongs to that attempt, not to the task.
  const failed = FAILED.has(t.state);
  return {
    ...taskRow(t),
    args_value: t.args,
    kwargs_value: t.kwargs,
    result_value: t.state === "SUCCESS" ? t.result : null,
    exception_info:
      failed && (t.excType || t.excMessage || t.exception)
        ? { type: t.excType ?? typeFromRepr(t.exception), message: t.excMessage, module: t.excModule }
        : null,
    traceback: failed ? t.traceback : null,
    eta: isoTime(t.eta),
    expires: isoTime(t.expires),
    time_limit: extras.timeLimit,
    children,
    exchange: t.exchange,
    routing_key: t.routingKey,
    priority: t.priority,
    timeline: timelineByAttempt(t, failed ? null : t.traceback),
    sources: [
      ...(t.fromEvents ? (["events"] as const) : []),
      ...(t.fromBackend ? (["result_backend"] as const) : []),
      ...(t.waiting ? (["broker"] as const) : []),
    ],
    source: extras.source,
  };
}

/**
 * The timeline told attempt by attempt: each step with the run it belongs to (a step whose run no
 * source said takes its predecessor's), runs in order, steps in time order within a run (a retried
 * message is often received before its worker reports the retry). `retryTraceback`, the last
 * retry's traceback when it is not the task's error, goes with that retry.
 */
function timelineByAttempt(t: TaskRecord, retryTraceback: string | null): TimelineEntry[] {
  let current = t.timeline.find((x) => x.attempt !== undefined)?.attempt ?? 1;
  const steps = t.timeline.map((x) => {
    current = x.attempt ?? current;
    return { x, attempt: current };
  });
  steps.sort((a, b) => a.attempt - b.attempt);
  // The worker's task-retried event carries the traceback itself: its row holds it, whether or not
  // the backend's RETRY record was read too (then that record's row is the fallback).
  const lastOf = (type: string) => steps.findLastIndex((s) => s.x.type === type);
  const lastRetry = retryTraceback === null ? -1 : lastOf("task-retried") >= 0 ? lastOf("task-retried") : lastOf("backend-retry");
  return steps.map(({ x, attempt }, i) => ({
    type: x.type,
    at: new Date(x.at).toISOString(),
    hostname: x.hostname,
    source: x.source,
    detail: x.detail,
    attempt,
    ...(x.attempt === undefined && { attempt_inferred: true }),
    ...(i === lastRetry && { traceback: retryTraceback }),
  }));
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
    timeline: d.timeline.map((e) => {
      const shown = SAFE_DETAIL.has(e.type) ? e : { ...e, detail: hide(e.detail, hidden) };
      return e.traceback === undefined ? shown : { ...shown, traceback: hide(e.traceback, hidden) };
    }),
  };
}
