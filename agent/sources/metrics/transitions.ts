/**
 * What a change to a task record means for the figures. The task store calls this after every
 * change with the fields as they were before it (TaskBefore), so a state counts once per task and
 * run, whatever repeats: a duplicate event, the result backend's record of the same state, a
 * backfill read again. Times are the task's own (worker clock corrected for skew), at most now.
 */
import type { MetricCount } from "../../api/schema/enums";
import type { TaskState } from "../../api/schema/enums";

/** The fields of a record the figures compare, before a change. */
export interface TaskBefore {
  state: TaskState;
  sent: number | null;
  received: number | null;
  started: number | null;
  runtime: number | null;
  finished: number | null;
  failureKnown: boolean;
}

/** The part of a record the figures read (a TaskRecord is one). */
export interface TaskFacts extends Omit<TaskBefore, "failureKnown"> {
  id: string;
  name: string | null;
  queue: string | null;
  worker: string | null;
  stateAt: number;
  retries: number | null;
  eta: string | null;
  exception: string | null;
  excType: string | null;
  excMessage: string | null;
  lost: { at: number } | null;
}

export interface FigureSink {
  count(name: string | null, queue: string | null, what: MetricCount, at: number): void;
  runtime(name: string | null, queue: string | null, worker: string | null, seconds: number, finishedAt: number): void;
  wait(name: string | null, queue: string | null, seconds: number, startedAt: number, fromSent: boolean): void;
  failure(t: TaskFacts, at: number): void;
}

const STATE_COUNT: Partial<Record<TaskState, MetricCount>> = {
  SUCCESS: "succeeded",
  FAILURE: "failed",
  RETRY: "retried",
  REVOKED: "revoked",
  LOST: "lost",
};
const RUN_ENDED = new Set<TaskState>(["SUCCESS", "FAILURE"]);

export function captureBefore(into: TaskBefore, t: TaskFacts): void {
  into.state = t.state;
  into.sent = t.sent;
  into.received = t.received;
  into.started = t.started;
  into.runtime = t.runtime;
  into.finished = t.finished;
  into.failureKnown = t.exception !== null || t.excType !== null;
}

/** The run's runtime in seconds: the worker's own figure, else started to finished. */
function runtimeOf(s: { runtime: number | null; started: number | null; finished: number | null }): number | null {
  if (s.runtime !== null) return s.runtime;
  return s.started !== null && s.finished !== null && s.finished >= s.started ? (s.finished - s.started) / 1000 : null;
}

export function observeChange(sink: FigureSink, t: TaskFacts, before: TaskBefore, now: number): void {
  const at = (ms: number | null) => (ms === null || ms > now ? now : ms);
  const { name, queue } = t;
  if (t.sent !== null && before.sent === null) sink.count(name, queue, "sent", at(t.sent));
  if (t.received !== null && t.received !== before.received) sink.count(name, queue, "received", at(t.received));
  if (t.started !== null && t.started !== before.started) {
    sink.count(name, queue, "started", at(t.started));
    // A retry's run waited since it was sent again, which its received time tells (sent stays the first).
    const fromSent = t.sent !== null && !t.retries;
    let since = fromSent ? t.sent : t.received;
    const eta = t.eta === null ? Number.NaN : Date.parse(t.eta);
    if (since !== null && Number.isFinite(eta) && eta > since) since = eta;
    if (since !== null && t.started >= since) sink.wait(name, queue, (t.started - since) / 1000, at(t.started), fromSent);
  }
  const counted = STATE_COUNT[t.state];
  if (counted && t.state !== before.state) sink.count(name, queue, counted, at(t.state === "LOST" ? (t.lost?.at ?? now) : t.stateAt));
  if (RUN_ENDED.has(t.state)) {
    const runtime = runtimeOf(t);
    if (runtime !== null && (!RUN_ENDED.has(before.state) || runtimeOf(before) === null))
      sink.runtime(name, queue, t.worker, runtime, at(t.finished ?? t.stateAt));
  }
  if (t.state === "FAILURE" && (t.exception !== null || t.excType !== null) && (before.state !== "FAILURE" || !before.failureKnown))
    sink.failure(t, at(t.finished ?? t.stateAt));
}
