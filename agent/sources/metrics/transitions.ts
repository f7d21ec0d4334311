/**
 * What a change to a task record means for the figures. The task store calls this after every
 * change with the fields as they were before it (TaskBefore), so a state counts once per task and
 * run, whatever repeats or comes out of order: a duplicate event, the result backend's record of
 * the same state, a late task-retried flipping a finished task back (Celery lets RETRY through), a
 * backfill read again. Runs are told apart by the attempt the timeline gives each step. Times are
 * the task's own (worker clock corrected for skew), at most now.
 */
import type { MetricCount, TaskState } from "../../api/schema/enums";

/** The counts told by timeline steps, per run; the step types of each (event, backend record). */
const RUN_COUNTS = ["started", "retried", "succeeded", "failed", "revoked"] as const satisfies readonly MetricCount[];
const STEP_COUNT = new Map<string, number>([
  ["task-started", 0],
  ["backend-started", 0],
  ["task-retried", 1],
  ["backend-retry", 1],
  ["task-succeeded", 2],
  ["backend-success", 2],
  ["task-failed", 3],
  ["backend-failure", 3],
  ["task-revoked", 4],
  ["backend-revoked", 4],
]);
const STARTED = 0;
const SUCCEEDED = 2;
const FAILED = 3;

/** The fields of a record the figures compare, before a change. */
export interface TaskBefore {
  state: TaskState;
  sent: number | null;
  received: number | null;
  started: number | null;
  runtime: number | null;
  finished: number | null;
  fromEvents: boolean;
  failureKnown: boolean;
  /** Per RUN_COUNTS, the runs whose step the timeline holds. */
  runs: Int32Array;
}

/** The part of a record the figures read (a TaskRecord is one). */
export interface TaskFacts extends Omit<TaskBefore, "failureKnown" | "runs"> {
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
  timeline: readonly { type: string; attempt?: number }[];
}

export interface FigureSink {
  count(name: string | null, queue: string | null, what: MetricCount, at: number): void;
  runtime(name: string | null, queue: string | null, worker: string | null, seconds: number, finishedAt: number): void;
  wait(name: string | null, queue: string | null, seconds: number, startedAt: number, fromSent: boolean): void;
  failure(t: TaskFacts, at: number): void;
}

export function newBefore(): TaskBefore {
  return {
    state: "PENDING",
    sent: null,
    received: null,
    started: null,
    runtime: null,
    finished: null,
    fromEvents: false,
    failureKnown: false,
    runs: new Int32Array(RUN_COUNTS.length),
  };
}

/**
 * How many runs have a step of each of RUN_COUNTS: a run's event and its backend record, in any
 * order or repeated, are one. A step of no known run (attempt undefined) counts as one run.
 */
function countRuns(timeline: TaskFacts["timeline"], into: Int32Array): void {
  into.fill(0);
  const seen = new Int32Array(RUN_COUNTS.length);
  for (const item of timeline) {
    const i = STEP_COUNT.get(item.type);
    if (i === undefined) continue;
    const bit = item.attempt === undefined || item.attempt > 30 ? 1 << 31 : 1 << item.attempt;
    if (!(seen[i]! & bit)) into[i]!++;
    seen[i]! |= bit;
  }
}

const failureKnown = (t: TaskFacts) => t.exception !== null || t.excType !== null;

export function captureBefore(into: TaskBefore, t: TaskFacts): void {
  into.state = t.state;
  into.sent = t.sent;
  into.received = t.received;
  into.started = t.started;
  into.runtime = t.runtime;
  into.finished = t.finished;
  into.fromEvents = t.fromEvents;
  into.failureKnown = failureKnown(t);
  countRuns(t.timeline, into.runs);
}

/**
 * The run's runtime in seconds. With task events on, the worker's own figure (task-succeeded says it,
 * task-failed's span is on the worker's clock), waited for when the backend's record comes first;
 * without events, the backend's started-to-done span.
 */
function runtimeOf(s: { fromEvents: boolean; runtime: number | null; started: number | null; finished: number | null }): number | null {
  if (s.runtime !== null || s.fromEvents) return s.runtime;
  return s.started !== null && s.finished !== null && s.finished >= s.started ? (s.finished - s.started) / 1000 : null;
}

const after = new Int32Array(RUN_COUNTS.length);

export function observeChange(sink: FigureSink, t: TaskFacts, before: TaskBefore, now: number): void {
  const at = (ms: number | null) => (ms === null || ms > now ? now : ms);
  const { name, queue } = t;
  if (t.sent !== null && before.sent === null) sink.count(name, queue, "sent", at(t.sent));
  if (t.received !== null && t.received !== before.received) sink.count(name, queue, "received", at(t.received));
  if (t.state === "LOST" && before.state !== "LOST") sink.count(name, queue, "lost", at(t.lost?.at ?? now));
  countRuns(t.timeline, after);
  for (let i = 0; i < RUN_COUNTS.length; i++) {
    for (let n = after[i]! - before.runs[i]!; n > 0; n--) sink.count(name, queue, RUN_COUNTS[i]!, at(i === STARTED ? t.started : t.stateAt));
  }
  if (t.started !== null && after[STARTED]! > before.runs[STARTED]!) {
    // A retry's run waited since it was sent again, which its received time tells (sent stays the first).
    const fromSent = t.sent !== null && !t.retries;
    let since = fromSent ? t.sent : t.received;
    const eta = t.eta === null ? Number.NaN : Date.parse(t.eta);
    if (since !== null && Number.isFinite(eta) && eta > since) since = eta;
    if (since !== null && t.started >= since) sink.wait(name, queue, (t.started - since) / 1000, at(t.started), fromSent);
  }
  const ended = t.state === "SUCCESS" || t.state === "FAILURE";
  const endedNow = after[SUCCEEDED]! + after[FAILED]! > before.runs[SUCCEEDED]! + before.runs[FAILED]!;
  const runtime = ended ? runtimeOf(t) : null;
  // Measured when the run ends, or when its runtime comes after its end (the backend's record first).
  if (runtime !== null && (endedNow || runtimeOf(before) === null)) sink.runtime(name, queue, t.worker, runtime, at(t.finished ?? t.stateAt));
  if (t.state === "FAILURE" && failureKnown(t) && (after[FAILED]! > before.runs[FAILED]! || !before.failureKnown)) sink.failure(t, at(t.finished ?? t.stateAt));
}
