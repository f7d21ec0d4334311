/**
 * Every task the agent holds, bounded by --max-tasks, laid out for a million of them: the one class
 * the rest of the agent talks to (runtime, handlers, the waiting-message reader, periodic runs).
 *
 * Each task has a slot (slots.ts). What the filters, sorts and counts read lives in typed-array
 * columns indexed by slot, so a task costs its id string, about 100 bytes of columns and its packed
 * text, but no objects. A task that is changing (recently touched, or not finished) is also held as
 * a full TaskRecord (hot-cache.ts), which the merge rules in record-merge.ts update; once it goes quiet it
 * is packed into text (record-codec.ts, pack.ts) and its object dropped. Reading a cold task
 * unpacks a fresh record.
 *
 * This file owns the changes: every event, backend write, LOST verdict, waiting message or
 * inferred queue goes through update(), which keeps the columns, indexes (indexes.ts), hot cache
 * and eviction line (eviction.ts) in step and tells the listeners. Reads delegate: listings to
 * query-plan.ts (search: text-search.ts), typical runtimes to runtime-stats.ts, periodic runs to
 * named-tasks.ts.
 */
import type { CeleryEvent } from "../../protocol/events";
import type { TaskMeta } from "../../protocol/result-meta";
import type { TaskMessage } from "../../protocol/task-message";
import { QUEUE_SOURCES, type TaskState } from "../../api/schema/enums";
import { inferQueue, isFinished, LOSABLE_STATES, newRecord, receivedTime, type TaskRecord, type WaitingInfo } from "./record";
import { acceptsWaiting, applyEvent, applyMeta, applyWaiting, markLost, sameWaiting } from "./record-merge";
import type { TaskFilter, TaskSort } from "./query";
import type { Cursor } from "./cursor";
import { EMPTY } from "./columns";
import { F_QUEUE, F_QUEUE_SHIFT, STATE_CODE, TaskSlots } from "./slots";
import { RecordCodec } from "./record-codec";
import { HotCache, type HotLimits } from "./hot-cache";
import { TaskIndexes } from "./indexes";
import { EvictionLine } from "./eviction";
import { QueryPlanner } from "./query-plan";
import { RuntimeStats } from "./runtime-stats";
import { eachNamed, type NamedTask } from "./named-tasks";
import { captureBefore, newBefore, type TaskBefore } from "../metrics/transitions";

export interface TaskPage {
  tasks: TaskRecord[];
  total: number;
  nextCursor: string | null;
}

/** Up to this many tasks given a queue at once are announced to listeners one by one. */
const NOTIFY_INFERRED = 200;
/** The worker_queues source's code in the flags column (the weakest inference). */
const WORKER_QUEUES_SOURCE = QUEUE_SOURCES.indexOf("worker_queues");

export class TaskStore {
  private readonly slots: TaskSlots;
  private readonly codec: RecordCodec;
  private readonly hot: HotCache;
  private readonly indexes: TaskIndexes;
  private readonly line: EvictionLine;
  private readonly planner: QueryPlanner;
  private readonly runtimes: RuntimeStats;
  /** First-sight sequence: a task's tie-breaker in every order. */
  private seq = 0;
  private readonly listeners: ((t: TaskRecord) => void)[] = [];
  private readonly packCold = (slot: number, t: TaskRecord) => this.codec.pack(slot, t);
  private readonly removeSlot = (slot: number) => this.remove(slot);
  /**
   * The one queue a worker consumes, when it consumes exactly one (set by the agent from
   * active_queues): every task that worker received came from it.
   */
  workerQueue: (worker: string) => string | null = () => null;
  /** Told of every change with the fields as they were before it (the metrics: sources/metrics/transitions.ts). */
  observer: ((t: TaskRecord, before: TaskBefore) => void) | null = null;
  private readonly before: TaskBefore = newBefore();

  /** `hot`: how many tasks stay unpacked (tests set 0 to exercise the packed form everywhere). */
  constructor(
    private readonly maxTasks: number,
    hot: HotLimits = {},
  ) {
    const slots = new TaskSlots(maxTasks);
    this.slots = slots;
    this.codec = new RecordCodec(slots);
    this.hot = new HotCache(slots.c, hot);
    this.indexes = new TaskIndexes(slots.c);
    this.line = new EvictionLine(slots.c);
    this.planner = new QueryPlanner(this.indexes, { slots, texts: this.codec.texts, hot: this.hot, record: (slot) => this.record(slot) });
    this.runtimes = new RuntimeStats(slots);
  }

  get size(): number {
    return this.slots.count;
  }

  get(id: string): TaskRecord | undefined {
    const slot = this.slots.slotOf.get(id);
    return slot === undefined ? undefined : this.record(slot);
  }

  onChange(l: (t: TaskRecord) => void): void {
    this.listeners.push(l);
  }

  // --- changes ---------------------------------------------------------------------------------

  applyEvent(e: CeleryEvent): TaskRecord | null {
    const id = e.fields.uuid;
    if (typeof id !== "string") return null;
    return this.update(id, e.receivedAt, (t) => applyEvent(t, e), true);
  }

  /**
   * A result-backend write. `notify` false is the backfill: a bulk load nobody is watching, so a
   * finished task is packed at once instead of waiting its turn as a hot record (short-lived
   * objects that outlive a few garbage collections would fragment the heap for good).
   */
  applyMeta(m: TaskMeta, notify = true): TaskRecord {
    return this.update(m.taskId, m.seenAt, (t) => applyMeta(t, m), notify);
  }

  /**
   * The tasks `worker` had received or started, marked LOST (it was judged offline, or came back as a
   * new process: called on the new process's first event, before it has taken any task).
   */
  markLost(worker: string, reason: string, at: number): TaskRecord[] {
    const sym = this.slots.syms.worker.idOf(worker);
    if (sym === undefined) return [];
    const lost: TaskRecord[] = [];
    for (const state of LOSABLE_STATES) {
      for (const slot of [...this.indexes.trackedIn(state)!]) {
        if (this.slots.c.worker[slot] !== sym) continue;
        lost.push(this.update(this.slots.ids[slot]!, at, (t) => markLost(t, { worker, at, reason }), true));
      }
    }
    return lost;
  }

  /**
   * A message read waiting in a queue (sources/waiting.ts). Changes (and notifies) only when it says
   * something new: a task not held yet, or a new place in the queue.
   */
  applyWaiting(msg: TaskMessage, w: WaitingInfo): TaskRecord | null {
    const held = this.get(msg.id);
    if (held && (!acceptsWaiting(held, w) || sameWaiting(held.waiting, w))) return null;
    return this.update(msg.id, w.seenAt, (t) => applyWaiting(t, msg, w), true);
  }

  /**
   * The task's message is no longer in its queue. A task known only from the queue is forgotten
   * (whatever took it says so through events or the result backend); others just stop waiting.
   */
  leftQueue(id: string): void {
    const slot = this.slots.slotOf.get(id);
    if (slot === undefined) return;
    const t = this.record(slot);
    if (!t.waiting) return;
    if (t.fromEvents || t.fromBackend) return void this.update(id, Date.now(), (r) => (r.waiting = null), true);
    this.remove(slot);
    // Said once more, no longer waiting, so whoever shows it (the event stream, the panel) looks again.
    t.waiting = null;
    for (const l of this.listeners) l(t);
  }

  /**
   * The queue of a held task, inferred (see inferQueue in record.ts); false when the task is not
   * held or already has a queue at least as good.
   */
  inferQueue(id: string, queue: string, source: "delivery_info" | "worker_queues"): boolean {
    const slot = this.slots.slotOf.get(id);
    if (slot === undefined) return false;
    const c = this.slots.c;
    const has = c.queue[slot] !== 0;
    const weak = (c.flags[slot]! & F_QUEUE) >> F_QUEUE_SHIFT === WORKER_QUEUES_SOURCE;
    if (has && !(weak && source === "delivery_info")) return false;
    let changed = false;
    this.update(id, Date.now(), (t) => (changed = inferQueue(t, queue, source)), true);
    return changed;
  }

  /** Every held task of `worker` without a queue gets the one queue it consumes; returns how many. */
  inferWorkerQueue(worker: string, queue: string): number {
    const { c, syms, ids, nextSlot } = this.slots;
    const sym = syms.worker.idOf(worker);
    if (sym === undefined) return 0;
    const slots: number[] = [];
    for (let slot = 0; slot < nextSlot; slot++) if (c.worker[slot] === sym && c.queue[slot] === 0 && c.state[slot] !== EMPTY) slots.push(slot);
    // A few are news for the event stream; a whole history (tasks held before the worker answered) is not.
    const notify = slots.length <= NOTIFY_INFERRED;
    for (const slot of slots) this.update(ids[slot]!, Date.now(), (t) => inferQueue(t, queue, "worker_queues"), notify);
    return slots.length;
  }

  /** The task in `slot` as a record: the live object when hot, a fresh unpacked one when cold. */
  private record(slot: number): TaskRecord {
    return this.hot.get(slot) ?? this.codec.unpack(slot);
  }

  /** One change (an event, a backend write, a verdict) applied to the task `id`. */
  private update(id: string, now: number, apply: (t: TaskRecord) => void, notify: boolean): TaskRecord {
    let slot = this.slots.slotOf.get(id);
    let t: TaskRecord;
    const fresh = slot === undefined;
    if (slot === undefined) {
      slot = this.slots.allocate(id);
      this.codec.reserve();
      t = newRecord(id, ++this.seq, now);
      this.line.join(slot, t.seq);
    } else {
      const hot = this.hot.get(slot);
      t = hot ?? this.codec.unpack(slot);
      // It is about to change: out of the cache, or its packed text dropped (packed anew when quiet).
      if (hot) this.hot.take(slot);
      else this.codec.unpacked(slot);
    }
    const observer = this.observer;
    if (observer) captureBefore(this.before, t);
    apply(t);
    if (t.queue === null && t.worker !== null) {
      const q = this.workerQueue(t.worker);
      if (q !== null) inferQueue(t, q, "worker_queues");
    }
    if (observer) observer(t, this.before);
    this.sync(slot, t, fresh);
    if (!notify && isFinished(t)) this.codec.pack(slot, t);
    else this.hot.keep(slot, t, this.packCold);
    if (this.slots.count > this.maxTasks) this.line.evict(this.slots.count - this.maxTasks, this.removeSlot);
    if (notify) for (const l of this.listeners) l(t);
    return t;
  }

  /** Writes a record's indexed fields into the columns and keeps every index in step. */
  private sync(slot: number, t: TaskRecord, fresh: boolean): void {
    const c = this.slots.c;
    const recv = receivedTime(t);
    const oldState = fresh ? EMPTY : c.state[slot]!;
    const oldParent = fresh ? null : this.indexes.parentOfSlot(slot);
    const moved = fresh || c.recv[slot] !== recv;
    if (!fresh && moved) this.indexes.unplace(slot);
    this.codec.write(slot, t, recv);
    this.indexes.place(slot, oldState, STATE_CODE.get(t.state)!, moved);
    this.indexes.link(slot, oldParent, t.parentId);
  }

  /** The task in `slot` leaves (evicted, or known only from a queue it left). */
  private remove(slot: number): void {
    this.indexes.remove(slot);
    this.codec.clear(slot);
    this.hot.take(slot);
    this.slots.free(slot);
  }

  // --- reads -----------------------------------------------------------------------------------

  query(filter: TaskFilter, sort: TaskSort, limit: number, cursor: Cursor | null): TaskPage {
    const page = this.planner.query(filter, sort, limit, cursor);
    return { tasks: page.slots.map((s) => this.record(s)), total: page.total, nextCursor: page.nextCursor };
  }

  /** The names, workers or queues of the held tasks, with how many tasks have each. */
  facet(field: "name" | "worker" | "queue"): Map<string, number> {
    return this.slots.syms[field].counts();
  }

  countByState(): Map<TaskState, number> {
    return this.indexes.countByState();
  }

  /** Tasks per state whose received time is at or after `since` (the overview's last hour / day). */
  countByStateSince(since: number): Record<string, number> {
    return this.indexes.countByStateSince(since);
  }

  /** Ids of the tasks that name `id` as their parent. */
  childrenOf(id: string): string[] {
    return [...(this.indexes.childSlots(id) ?? [])].map((slot) => this.slots.ids[slot]!);
  }

  /** Tasks in a given state. */
  inState(state: TaskState): ReadonlySet<TaskRecord> {
    const out = new Set<TaskRecord>();
    const tracked = this.indexes.trackedIn(state);
    if (tracked) for (const slot of tracked) out.add(this.record(slot));
    else {
      const { c, nextSlot } = this.slots;
      const code = STATE_CODE.get(state)!;
      for (let slot = 0; slot < nextSlot; slot++) if (c.state[slot] === code) out.add(this.record(slot));
    }
    return out;
  }

  /** See RuntimeStats.typicalRuntime. */
  typicalRuntime(name: string, now = Date.now()): number | null {
    return this.runtimes.typicalRuntime(name, now);
  }

  /**
   * The tasks named `name`, newest received first, as what a periodic entry is matched on: its send
   * time (else receive time, else first sight), queue and args/kwargs as text. No record is
   * unpacked; `visit` returns false to stop.
   */
  eachNamed(name: string, visit: (t: NamedTask) => boolean): void {
    eachNamed(name, visit, { slots: this.slots, indexes: this.indexes, hot: this.hot, texts: this.codec.texts });
  }
}
