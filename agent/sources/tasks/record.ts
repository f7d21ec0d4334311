/**
 * One task as the agent knows it, merged from task events, result-backend writes and its message
 * waiting in a queue (record-merge.ts says how): its fields, the kinds of states it can be in, where
 * its queue came from, the time it is listed under.
 */
import type { QueueSource, TaskState } from "../../api/schema/enums";

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

export const READY_STATES = new Set<TaskState>(["SUCCESS", "FAILURE", "REVOKED", "REJECTED"]);
/** Nothing more is expected of these (LOST only by surprise): packed and evicted like finished tasks. */
const SETTLED_STATES = new Set<TaskState>([...READY_STATES, "LOST"]);

/** The states a task can be LOST from: held by a worker, not finished. */
export const LOSABLE_STATES = new Set<TaskState>(["RECEIVED", "SCHEDULED", "STARTED"]);

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

/** The time a task is listed under: when it was received, else the earliest thing known of it. */
export function receivedTime(t: TaskRecord): number {
  return t.received ?? t.sent ?? t.started ?? t.finished ?? t.firstSeen;
}

export function isFinished(t: TaskRecord): boolean {
  return SETTLED_STATES.has(t.state);
}
