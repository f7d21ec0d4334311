/**
 * One task as the agent knows it, merged from task events and result-backend writes.
 * Merging follows Celery's own rule (celery.events.state): a state that logically happens before the
 * current one only fills in fields; RETRY always applies. So out-of-order arrival (a solo worker's
 * buffered events, a backend publish racing an event) never moves a task backwards.
 */
import type { CeleryEvent } from "../../protocol/events";
import { num, str } from "../../protocol/events";
import { childIds, type TaskMeta } from "../../protocol/result-meta";
import { isRecord } from "../../protocol/envelope";
import { CELERY_TASK_STATES, type QueueSource, type TaskState } from "../../api/schema/enums";
import type { TaskMessage } from "../../protocol/task-message";

export type StoredValue = { format: "json"; value: unknown } | { format: "repr"; value: string };

export interface TimelineItem {
  type: string;
  at: number;
  hostname: string | null;
  source: "event" | "result_backend" | "agent";
  detail: string | null;
  /** Which run of the task this step belongs to (1, then 2 after one retry...), when known. */
  attempt?: number;
}

/** Set while a task is LOST: the worker that held it, when the agent gave up on it, and why. */
export interface LostInfo {
  worker: string;
  at: number;
  reason: string;
}

/** Set while the task's message waits in a broker queue: where, as last read (`seenAt`, agent clock). */
export interface WaitingInfo {
  queue: string;
  position: number;
  priority: number;
  seenAt: number;
}

export interface TaskRecord {
  id: string;
  /** Order of first sight: the tie-breaker that makes pagination stable. */
  seq: number;
  name: string | null;
  state: TaskState;
  /** When the current state was reached (worker clock for events and dates, agent clock otherwise). */
  stateAt: number;
  args: StoredValue | null;
  kwargs: StoredValue | null;
  result: StoredValue | null;
  exception: string | null;
  excType: string | null;
  excMessage: string | null;
  excModule: string | null;
  traceback: string | null;
  firstSeen: number;
  sent: number | null;
  received: number | null;
  started: number | null;
  finished: number | null;
  runtime: number | null;
  worker: string | null;
  queue: string | null;
  /** Where the queue came from (null while there is none): stated by a source, or inferred by the agent. */
  queueSource: QueueSource | null;
  exchange: string | null;
  routingKey: string | null;
  priority: number | null;
  retries: number | null;
  eta: string | null;
  expires: string | null;
  rootId: string | null;
  parentId: string | null;
  children: string[];
  timeline: TimelineItem[];
  lost: LostInfo | null;
  waiting: WaitingInfo | null;
  fromEvents: boolean;
  fromBackend: boolean;
}

const MAX_TIMELINE = 64;

// Celery's precedence: earlier in this list wins; a later-listed state arriving after an
// earlier-listed one is taken as having happened before it.
// SCHEDULED is a RECEIVED whose ETA is ahead: it ranks just before RECEIVED (a repeated received stays scheduled).
const PRECEDENCE: (TaskState | null)[] = ["SUCCESS", "FAILURE", null, "REVOKED", "STARTED", "SCHEDULED", "RECEIVED", "REJECTED", "RETRY", "PENDING"];
const RANK = new Map<TaskState, number>(PRECEDENCE.flatMap((s, i) => (s ? [[s, i] as [TaskState, number]] : [])));
const OTHER_RANK = PRECEDENCE.indexOf(null);
const precedence = (s: TaskState) => RANK.get(s) ?? OTHER_RANK;

export const READY_STATES = new Set<TaskState>(["SUCCESS", "FAILURE", "REVOKED", "REJECTED"]);
/** Nothing more is expected of these (LOST only by surprise): packed and evicted like finished tasks. */
const SETTLED_STATES = new Set<TaskState>([...READY_STATES, "LOST"]);

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

/** The states a task can be LOST from: held by a worker, not finished. */
export const LOSABLE_STATES = new Set<TaskState>(["RECEIVED", "SCHEDULED", "STARTED"]);

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

export function newRecord(id: string, seq: number, now: number): TaskRecord {
  return {
    id,
    seq,
    name: null,
    state: "PENDING",
    stateAt: now,
    args: null,
    kwargs: null,
    result: null,
    exception: null,
    excType: null,
    excMessage: null,
    excModule: null,
    traceback: null,
    firstSeen: now,
    sent: null,
    received: null,
    started: null,
    finished: null,
    runtime: null,
    worker: null,
    queue: null,
    queueSource: null,
    exchange: null,
    routingKey: null,
    priority: null,
    retries: null,
    eta: null,
    expires: null,
    rootId: null,
    parentId: null,
    children: [],
    timeline: [],
    lost: null,
    waiting: null,
    fromEvents: false,
    fromBackend: false,
  };
}

const INFERRED_QUEUE = new Set<QueueSource>(["delivery_info", "worker_queues"]);

export const isInferred = (s: QueueSource | null) => s !== null && INFERRED_QUEUE.has(s);

export function setQueue(t: TaskRecord, queue: string, source: QueueSource): void {
  t.queue = queue;
  t.queueSource = source;
}

/**
 * The agent's inference of a task's queue (from the worker that received it): taken when no source
 * named the queue, and replacing the weaker inference (a worker's only queue) by delivery info.
 */
export function inferQueue(t: TaskRecord, queue: string, source: "delivery_info" | "worker_queues"): boolean {
  if (t.queue !== null && !(t.queueSource === "worker_queues" && source === "delivery_info")) return false;
  if (t.queue === queue && t.queueSource === source) return false;
  setQueue(t, queue, source);
  return true;
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

const RETRY_ITEM: Record<TimelineItem["source"], string> = { event: "task-retried", result_backend: "backend-retry", agent: "" };

/**
 * The run a new timeline step belongs to. A message's own `retries` says it (task-received,
 * task-sent, result_extended writes); otherwise each source reports its retries in order, so a step
 * follows the retries its source has reported. Events also follow the newest run received: the
 * retried message is often received (it waits for its countdown) before the worker reports the retry.
 */
function attemptOf(t: TaskRecord, source: TimelineItem["source"], type: string, retries: number | null): number | undefined {
  if (retries !== null) return retries + 1;
  let retried = 0;
  let newest = 0;
  for (const x of t.timeline) {
    if (x.type === RETRY_ITEM[source]) retried++;
    if (x.source === source && x.attempt !== undefined && x.attempt > newest) newest = x.attempt;
  }
  // A task known from one backend write alone: which run wrote it is not known.
  if (source === "result_backend" && !t.timeline.length) return undefined;
  if (type === RETRY_ITEM[source]) return retried + 1;
  return source === "event" ? Math.max(retried + 1, newest) : retried + 1;
}

function pushTimeline(t: TaskRecord, item: TimelineItem): void {
  const tl = t.timeline;
  // The same transition seen from both sources (event and backend) is kept once per source.
  for (const x of tl) if (x.type === item.type && x.source === item.source && Math.abs(x.at - item.at) < 1) return;
  // Kept in time order, later arrivals after earlier ones at the same time (items mostly come in order).
  let i = tl.length;
  while (i > 0 && tl[i - 1]!.at > item.at) i--;
  if (i === tl.length) tl.push(item);
  else tl.splice(i, 0, item);
  if (tl.length > MAX_TIMELINE) tl.splice(1, tl.length - MAX_TIMELINE);
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

/** The time a task is listed under: when it was received, else the earliest thing known of it. */
export function receivedTime(t: TaskRecord): number {
  return t.received ?? t.sent ?? t.started ?? t.finished ?? t.firstSeen;
}

export function isFinished(t: TaskRecord): boolean {
  return SETTLED_STATES.has(t.state);
}

/** A string as Python's repr would print it, so exceptions read the same from both sources. */
function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, "\\\\").replace(new RegExp(q, "g"), `\\${q}`).replace(/\n/g, "\\n") + q;
}
