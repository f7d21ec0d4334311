/**
 * How news merges into a task record: task events, result-backend writes, the agent's LOST verdict
 * and the task's message read waiting in a queue. Merging follows Celery's own rule
 * (celery.events.state): a state that logically happens before the current one only fills in
 * fields; RETRY always applies. So out-of-order arrival (a solo worker's buffered events, a backend
 * publish racing an event) never moves a task backwards.
 */
import { CELERY_TASK_STATES, type TaskState } from "../../api/schema/enums";
import { isRecord } from "../../protocol/envelope";
import type { CeleryEvent } from "../../protocol/events";
import { num, str } from "../../protocol/events";
import { childIds, type TaskMeta } from "../../protocol/result-meta";
import type { TaskMessage } from "../../protocol/task-message";
import { isInferred, LOSABLE_STATES, type LostInfo, READY_STATES, setQueue, type TaskRecord, type WaitingInfo } from "./record";
import { attemptOf, pushTimeline } from "./record-timeline";

// Celery's precedence: earlier in this list wins; a later-listed state arriving after an
// earlier-listed one is taken as having happened before it.
// SCHEDULED is a RECEIVED whose ETA is ahead: it ranks just before RECEIVED (a repeated received stays scheduled).
const PRECEDENCE: (TaskState | null)[] = ["SUCCESS", "FAILURE", null, "REVOKED", "STARTED", "SCHEDULED", "RECEIVED", "REJECTED", "RETRY", "PENDING"];
const RANK = new Map<TaskState, number>(PRECEDENCE.flatMap((s, i) => (s ? [[s, i] as [TaskState, number]] : [])));
const OTHER_RANK = PRECEDENCE.indexOf(null);
export const precedence = (s: TaskState) => RANK.get(s) ?? OTHER_RANK;

const EVENT_STATE: Record<string, TaskState> = {
  "task-sent": "PENDING",
  "task-received": "RECEIVED",
  "task-started": "STARTED",
  "task-succeeded": "SUCCESS",
  "task-failed": "FAILURE",
  "task-retried": "RETRY",
  "task-revoked": "REVOKED",
  "task-rejected": "REJECTED",
};

const KNOWN_STATES = new Set<string>(CELERY_TASK_STATES);

/**
 * The states in which a message seen in a queue is the task's current news: never received
 * (PENDING), or sent back after what the agent last knew (a retry, a LOST task's message restored).
 */
const WAITABLE_STATES = new Set<TaskState>(["PENDING", "RETRY", "LOST", "REJECTED"]);

/** Events and backend states that say a worker has the task: its message left the queue. */
const TAKEN_EVENTS = new Set(["task-received", "task-started", "task-succeeded", "task-failed", "task-revoked", "task-rejected"]);

/**
 * LOST is the agent's guess, not something a worker said, so real news replaces it: any event (only
 * a live process sends one: the task redelivered, or its worker back), and a backend write of a
 * finished state or a retry. A backend write of STARTED or PENDING is not news: the dead worker's
 * task_track_started record stays STARTED forever, and every backfill reads it again.
 */
function supersedesLost(state: TaskState, fromEvent: boolean): boolean {
  return fromEvent || READY_STATES.has(state) || state === "RETRY";
}

/** Applies a new state by Celery's rule; returns whether the state changed. */
function advance(t: TaskRecord, state: TaskState, at: number, hasState: boolean, fromEvent: boolean): boolean {
  if (t.state === "LOST") {
    if (!supersedesLost(state, fromEvent)) return false;
    t.lost = null;
  } else if (hasState) {
    if (state !== "RETRY" && t.state !== "RETRY" && precedence(state) > precedence(t.state)) return false;
    // Retries may run on other workers, whose events can arrive late (a solo worker flushes its
    // events only when its task ends): a retry older than the task's final state is history.
    if (state === "RETRY" && READY_STATES.has(t.state) && at < t.stateAt) return false;
  }
  const changed = t.state !== state;
  t.state = state;
  t.stateAt = at;
  return changed;
}

const seconds = (s: number) => Math.round(s * 1000);

export function applyEvent(t: TaskRecord, e: CeleryEvent): void {
  const f = e.fields;
  const at = seconds(e.timestamp);
  if (!EVENT_STATE[e.type]) return;
  const hadState = t.fromEvents || t.fromBackend;
  t.fromEvents = true;
  t.name = str(f.name) ?? t.name;
  if (typeof f.args === "string") t.args ??= { format: "repr", value: f.args };
  if (typeof f.kwargs === "string") t.kwargs ??= { format: "repr", value: f.kwargs };
  t.retries = num(f.retries) ?? t.retries;
  t.eta = str(f.eta) ?? t.eta;
  t.expires = str(f.expires) ?? t.expires;
  t.rootId = str(f.root_id) ?? t.rootId;
  // A retry is re-sent with itself as parent: that is not a parent worth linking.
  const parent = str(f.parent_id);
  if (parent && parent !== t.id) t.parentId = parent;
  const queue = str(f.queue);
  if (queue) setQueue(t, queue, "event");
  t.exchange = str(f.exchange) ?? t.exchange;
  t.routingKey = str(f.routing_key) ?? t.routingKey;
  let detail: string | null = null;
  let state = EVENT_STATE[e.type]!;
  if (TAKEN_EVENTS.has(e.type)) t.waiting = null;
  switch (e.type) {
    case "task-sent":
      t.sent ??= at;
      break;
    case "task-received":
      t.received = at;
      t.worker = e.hostname;
      // countdown/eta: the worker holds it until then.
      if (etaAhead(t.eta, at)) {
        state = "SCHEDULED";
        detail = `scheduled for ${t.eta}`;
      }
      break;
    case "task-started":
      t.started = at;
      t.worker = e.hostname;
      break;
    case "task-succeeded":
      t.finished = at;
      t.runtime = num(f.runtime) ?? t.runtime;
      if (typeof f.result === "string" && !(t.result?.format === "json")) t.result = { format: "repr", value: f.result };
      detail = t.runtime !== null ? `ran ${t.runtime.toFixed(3)} s` : null;
      break;
    case "task-failed":
    case "task-retried":
      if (e.type === "task-failed") t.finished = at;
      // The backend's exc_type/exc_message is better: solo workers' events say "ExceptionWithTraceback()".
      if (!t.excType) t.exception = str(f.exception) ?? t.exception;
      t.traceback = str(f.traceback) ?? t.traceback;
      detail = str(f.exception);
      break;
    case "task-revoked":
      t.finished ??= at;
      detail = f.expired ? "expired" : f.terminated ? `terminated (signal ${String(f.signum ?? "?")})` : null;
      break;
    case "task-rejected":
      detail = f.requeue ? "requeued" : null;
      break;
  }
  const attempt = attemptOf(t, "event", e.type, num(f.retries));
  pushTimeline(t, { type: e.type, at, hostname: e.hostname, source: "event", detail, ...(attempt !== undefined && { attempt }) });
  advance(t, state, at, hadState, true);
  // Celery sends no runtime with task-failed: the span from start to failure is the next best thing.
  // A negative span mixes clocks (a backend time seen by the agent, an event time from the worker):
  // better none until the worker's own task-started arrives.
  if (t.state === "FAILURE" && t.runtime === null && t.started !== null && t.finished !== null && t.finished >= t.started) {
    t.runtime = (t.finished - t.started) / 1000;
  }
}

export function applyMeta(t: TaskRecord, m: TaskMeta): void {
  if (!KNOWN_STATES.has(m.status)) return;
  const state = m.status as TaskState;
  const hadState = t.fromEvents || t.fromBackend;
  t.fromBackend = true;
  t.name = m.name ?? t.name;
  // The backend has args as JSON (result_extended): better than the events' repr.
  if (m.args !== null && m.args !== undefined) t.args = { format: "json", value: m.args };
  if (m.kwargs !== null && m.kwargs !== undefined) t.kwargs = { format: "json", value: m.kwargs };
  t.worker = m.worker ?? t.worker;
  t.retries = m.retries ?? t.retries;
  // result_extended's "queue" is the delivery routing key: right for direct routing, wrong for a
  // topic exchange. The task-sent event names the queue itself, so it wins when present.
  if (m.queue && (t.queue === null || isInferred(t.queueSource))) setQueue(t, m.queue, "result_backend");
  if (m.parentId && m.parentId !== t.id) t.parentId = m.parentId;
  t.rootId = m.rootId ?? t.rootId;
  // A retry is sent from within the task, so Celery lists the task among its own children.
  if (m.children.length) t.children = childIds(m.children).filter((c) => c !== t.id);
  const at = m.dateDone ?? m.seenAt;
  let detail: string | null = null;
  if (state === "STARTED" || READY_STATES.has(state)) t.waiting = null;
  if (state === "STARTED" && isRecord(m.result)) {
    // task_track_started stores {pid, hostname}: the one live sign of a busy solo worker.
    t.worker = str(m.result.hostname) ?? t.worker;
    t.started ??= at;
  } else if (state === "SUCCESS") {
    t.result = { format: "json", value: m.result };
    t.finished ??= at;
  } else if (state === "FAILURE" || state === "RETRY" || state === "REVOKED") {
    const r = isRecord(m.result) ? m.result : null;
    t.excType = str(r?.exc_type) ?? t.excType;
    t.excModule = str(r?.exc_module) ?? t.excModule;
    const msg = r?.exc_message;
    t.excMessage = Array.isArray(msg) ? msg.map(String).join(", ") : typeof msg === "string" ? msg : t.excMessage;
    if (t.excType) t.exception = `${t.excType}(${pyStr(t.excMessage ?? "")})`;
    t.traceback = m.traceback ?? t.traceback;
    if (state !== "RETRY") t.finished ??= at;
    detail = t.exception;
  }
  const type = `backend-${state.toLowerCase()}`;
  const attempt = attemptOf(t, "result_backend", type, m.retries);
  pushTimeline(t, { type, at, hostname: t.worker, source: "result_backend", detail, ...(attempt !== undefined && { attempt }) });
  advance(t, state, at, hadState, false);
}

/**
 * Marks a task held by a worker that is gone as LOST (returns false if it is not in a state that can
 * be lost). `at` is the agent's clock: the verdict is the agent's.
 */
export function markLost(t: TaskRecord, lost: LostInfo): boolean {
  if (!LOSABLE_STATES.has(t.state)) return false;
  t.lost = lost;
  t.state = "LOST";
  t.stateAt = lost.at;
  pushTimeline(t, { type: "lost", at: lost.at, hostname: lost.worker, source: "agent", detail: lost.reason });
  return true;
}

/** Whether `eta` (ISO 8601) is later than `at` (ms). */
function etaAhead(eta: string | null, at: number): boolean {
  const due = eta === null ? NaN : Date.parse(eta);
  return Number.isFinite(due) && due > at;
}

/** Whether a message read from a queue at `w.seenAt` says where this task is now. */
export function acceptsWaiting(t: TaskRecord, w: WaitingInfo): boolean {
  return t.state === "PENDING" || (WAITABLE_STATES.has(t.state) && t.stateAt <= w.seenAt);
}

export function sameWaiting(a: WaitingInfo | null, b: WaitingInfo): boolean {
  return a !== null && a.queue === b.queue && a.position === b.position && a.priority === b.priority;
}

/** The task's message, read waiting in a queue: fills what the record lacks and says where it waits. */
export function applyWaiting(t: TaskRecord, msg: TaskMessage, w: WaitingInfo): void {
  if (!acceptsWaiting(t, w)) return;
  t.name ??= msg.name;
  t.args ??= msg.args;
  t.kwargs ??= msg.kwargs;
  t.eta = msg.eta ?? t.eta;
  t.expires = msg.expires ?? t.expires;
  t.retries = msg.retries ?? t.retries;
  t.rootId ??= msg.rootId;
  if (msg.parentId && msg.parentId !== t.id) t.parentId ??= msg.parentId;
  t.queue = w.queue;
  t.queueSource = "broker";
  t.exchange = msg.exchange ?? t.exchange;
  t.routingKey = msg.routingKey ?? t.routingKey;
  t.priority = w.priority;
  if (t.waiting?.queue !== w.queue) pushTimeline(t, { type: "waiting", at: w.seenAt, hostname: null, source: "agent", detail: `in queue ${w.queue}` });
  t.waiting = w;
}

/** A string as Python's repr would print it, so exceptions read the same from both sources. */
function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, "\\\\").replace(new RegExp(q, "g"), `\\${q}`).replace(/\n/g, "\\n") + q;
}
