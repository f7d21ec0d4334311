/**
 * Every task the agent holds, bounded by --max-tasks, laid out for a million of them.
 *
 * Each task has a slot. What the filters, sorts and counts read lives in typed-array columns indexed
 * by slot (state, name, worker, queue as interned numbers; times as numbers), so a filter reads a
 * few bytes per task, and a task costs its id string, about 100 bytes of columns and its packed
 * text, but no objects. A task that is changing (recently
 * touched, or not finished) is also held as a full TaskRecord ("hot"), which the merge rules in
 * record.ts update; once it goes quiet it is packed into two strings ("cold", see pack.ts) and its
 * object dropped. Reading a cold task unpacks a fresh record.
 *
 * Indexes: `order` keeps the slots sorted by received time (the default listing) with per-state
 * counts; per-value counts come from the interned symbols; packed texts sit in chunks a search
 * sweeps with one regular expression each (search.ts). So the first page, a filtered page, a
 * total, and the overview's counts per state never walk every task; a search reads text, not records.
 */
import type { CeleryEvent } from "../../protocol/events";
import type { TaskMeta } from "../../protocol/result-meta";
import type { QueueSource, TaskState } from "../../api/schema";
import { acceptsWaiting, applyEvent, applyMeta, applyWaiting, inferQueue, isFinished, LOSABLE_STATES, markLost, newRecord, receivedTime, sameWaiting, type TaskRecord, type WaitingInfo } from "./record";
import type { TaskMessage } from "../../protocol/task-message";
import { matchesText, type TaskFilter, type TaskSort } from "./query";
import { OrderIndex, STATE_COUNT } from "./order-index";
import { packedArgs, packRest, packText, recordArgs, searchTextOf, unpackRest, unpackText, type ArgText } from "./pack";
import { literalPattern, SEP, TextStore } from "./search";
import { Symbols } from "./symbols";
import { IdTable } from "./id-table";
import { Columns, EMPTY, NumberQueue, dec, getSmall, put, putSmall } from "./columns";
import { decodeCursor, encodeCursor, type Cursor } from "./cursor";

type IndexName = "state" | "name" | "worker" | "queue" | "parent";

export interface TaskPage {
  tasks: TaskRecord[];
  total: number;
  nextCursor: string | null;
}

export const STATES: readonly TaskState[] = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED", "LOST", "SCHEDULED"];
const STATE_CODE = new Map<TaskState, number>(STATES.map((s, i) => [s, i]));
/** The state mask that accepts every state. */
const ALL_STATES = (1 << STATES.length) - 1;
/** States whose tasks are also kept in a set (few at a time; the workers' "what runs where"). */
const TRACKED = new Set<number>(["PENDING", "RECEIVED", "SCHEDULED", "STARTED", "RETRY"].map((s) => STATE_CODE.get(s as TaskState)!));
/** Codes of the states eviction takes first. */
const SETTLED_CODES = new Set<number>(STATES.flatMap((s, i) => (isFinished({ state: s } as TaskRecord) ? [i] : [])));

/** Flags column bits. */
const F_EVENTS = 1;
const F_BACKEND = 2;
const F_ROOT_SELF = 4;
const F_TL_IMPLIED = 8;
const F_PARENT = 16;
/** Three bits for where the queue came from (see QUEUE_SOURCES); 0 while there is no queue. */
const F_QUEUE_SHIFT = 5;
const F_QUEUE = 7 << F_QUEUE_SHIFT;
const QUEUE_SOURCES: readonly QueueSource[] = ["event", "result_backend", "delivery_info", "worker_queues", "broker"];
/** The flags sync() owns (pack() adds its own). */
const F_SYNCED = F_EVENTS | F_BACKEND | F_PARENT | F_QUEUE;
/** The hot column: which map holds a task's record (0: none, it is packed). */
const HOT_FINISHED_MAP = 1;
const HOT_UNFINISHED_MAP = 2;

/** Finished tasks kept as objects (recently touched: a late event or backend write is likely). */
const HOT_FINISHED = 256;
/** Unfinished tasks kept as objects; beyond this many (a backlog), the least recently touched are packed too. */
const HOT_UNFINISHED = 20_000;

/** Up to this many search matches are sorted directly rather than found by walking the order index. */
const FEW = 4096;
/** typicalRuntime: how many runs make a percentile worth stating, and how long one is reused. */
const MIN_RUNTIMES = 20;
const RUNTIME_STATS_MS = 30_000;
/** Up to this many tasks given a queue at once are announced to listeners one by one. */
const NOTIFY_INFERRED = 200;
/** Celery's task ids: lower-case UUIDs (hex digits and dashes). */
const UUID_LIKE = /^[0-9a-f-]+$/;

export class TaskStore {
  private readonly c = new Columns();
  private readonly ids: (string | undefined)[] = [];
  private readonly slotOf = new IdTable((slot) => this.ids[slot]);
  /** Cold tasks' packed text (see pack.ts), kept in blocks for the search. */
  private readonly texts = new TextStore();
  /** Hot tasks' lower-cased search text, made by the first search after a change. */
  private readonly hotText = new Map<number, string>();
  /** Cold tasks' rarely present fields (most have none). */
  private readonly rest = new Map<number, string>();
  /** Hot tasks, least recently touched first. */
  private readonly hotFinished = new Map<number, TaskRecord>();
  private readonly hotUnfinished = new Map<number, TaskRecord>();
  private readonly freeSlots = new NumberQueue();
  private nextSlot = 0;
  private count = 0;
  private seq = 0;
  /** Eviction line: (slot, seq) pairs in order of first sight. */
  private readonly line = new NumberQueue();
  private readonly stateCounts = new Int32Array(STATE_COUNT);
  private readonly tracked = new Map<number, Set<number>>([...TRACKED].map((s) => [s, new Set<number>()]));
  private readonly syms = {
    name: new Symbols(),
    worker: new Symbols(),
    queue: new Symbols(),
    exchange: new Symbols(),
    routingKey: new Symbols(),
    excType: new Symbols(),
    excModule: new Symbols(),
    // Failures at one place share their traceback: interned, a thousand failures hold one copy.
    traceback: new Symbols(),
  };
  /** A failure's type, module and traceback (symbol ids), for the few tasks that have one. */
  private readonly failure = { excType: new Map<number, number>(), excModule: new Map<number, number>(), traceback: new Map<number, number>() };
  /** retries and priority too large for their byte column. */
  private readonly bigInts = { retries: new Map<number, number>(), priority: new Map<number, number>() };
  /** Slots whose id is not a lower-case UUID-like string (custom ids): searched apart. */
  private readonly oddIds = new Set<number>();
  /** parent id -> child slots, and each child's parent. */
  private readonly children = new Map<string, Set<number>>();
  private readonly parentOf = new Map<number, string>();
  private readonly order: OrderIndex;
  private readonly listeners: ((t: TaskRecord) => void)[] = [];
  /**
   * The one queue a worker consumes, when it consumes exactly one (set by the agent from
   * active_queues): every task that worker received came from it.
   */
  workerQueue: (worker: string) => string | null = () => null;
  /** typicalRuntime's answers, per task name, while fresh. */
  private readonly runtimeStats = new Map<string, { at: number; p95: number | null }>();

  private readonly hotLimits: { finished: number; unfinished: number };

  /** `hot`: how many tasks stay unpacked (tests set 0 to exercise the packed form everywhere). */
  constructor(readonly maxTasks: number, hot: { finished?: number; unfinished?: number } = {}) {
    this.hotLimits = { finished: hot.finished ?? HOT_FINISHED, unfinished: hot.unfinished ?? HOT_UNFINISHED };
    const c = this.c;
    this.order = new OrderIndex({ key: (s) => c.recv[s]!, tie: (s) => c.seq[s]!, state: (s) => c.state[s]! });
  }

  get size(): number {
    return this.count;
  }

  get(id: string): TaskRecord | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.record(slot);
  }

  onChange(l: (t: TaskRecord) => void): void {
    this.listeners.push(l);
  }

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
    const sym = this.syms.worker.idOf(worker);
    if (sym === undefined) return [];
    const lost: TaskRecord[] = [];
    for (const state of LOSABLE_STATES) {
      for (const slot of [...this.tracked.get(STATE_CODE.get(state)!)!]) {
        if (this.c.worker[slot] !== sym) continue;
        lost.push(this.update(this.ids[slot]!, at, (t) => markLost(t, { worker, at, reason }), true));
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
    const slot = this.slotOf.get(id);
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
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const c = this.c;
    const has = c.queue[slot] !== 0;
    const weak = ((c.flags[slot]! & F_QUEUE) >> F_QUEUE_SHIFT) === QUEUE_SOURCES.indexOf("worker_queues");
    if (has && !(weak && source === "delivery_info")) return false;
    let changed = false;
    this.update(id, Date.now(), (t) => (changed = inferQueue(t, queue, source)), true);
    return changed;
  }

  /** Every held task of `worker` without a queue gets the one queue it consumes; returns how many. */
  inferWorkerQueue(worker: string, queue: string): number {
    const sym = this.syms.worker.idOf(worker);
    if (sym === undefined) return 0;
    const c = this.c;
    const slots: number[] = [];
    for (let slot = 0; slot < this.nextSlot; slot++) if (c.worker[slot] === sym && c.queue[slot] === 0 && c.state[slot] !== EMPTY) slots.push(slot);
    // A few are news for the event stream; a whole history (tasks held before the worker answered) is not.
    const notify = slots.length <= NOTIFY_INFERRED;
    for (const slot of slots) this.update(this.ids[slot]!, Date.now(), (t) => inferQueue(t, queue, "worker_queues"), notify);
    return slots.length;
  }

  // --- slots and records -----------------------------------------------------------------------

  private hotRecord(slot: number): TaskRecord | undefined {
    const h = this.c.hot[slot];
    return h === HOT_UNFINISHED_MAP ? this.hotUnfinished.get(slot) : h === HOT_FINISHED_MAP ? this.hotFinished.get(slot) : undefined;
  }

  /** Takes a task out of the hot maps (it is about to change, or leave). */
  private cool(slot: number): void {
    const h = this.c.hot[slot];
    if (h === HOT_UNFINISHED_MAP) this.hotUnfinished.delete(slot);
    else if (h === HOT_FINISHED_MAP) this.hotFinished.delete(slot);
    if (h) this.c.hot[slot] = 0;
  }

  /** The task in `slot` as a record: the live object when hot, a fresh unpacked one when cold. */
  private record(slot: number): TaskRecord {
    return this.hotRecord(slot) ?? this.unpack(slot);
  }

  /** One change (an event, a backend write, a verdict) applied to the task `id`. */
  private update(id: string, now: number, apply: (t: TaskRecord) => void, notify: boolean): TaskRecord {
    let slot = this.slotOf.get(id);
    let t: TaskRecord;
    let fresh = false;
    if (slot === undefined) {
      slot = this.allocate();
      t = newRecord(id, ++this.seq, now);
      this.ids[slot] = id;
      this.slotOf.set(id, slot);
      if (!UUID_LIKE.test(id)) this.oddIds.add(slot);
      this.line.push(slot);
      this.line.push(t.seq);
      this.count++;
      fresh = true;
    } else {
      const hot = this.hotRecord(slot);
      t = hot ?? this.unpack(slot);
      if (hot) this.cool(slot);
      else {
        this.texts.delete(slot);
        this.rest.delete(slot);
      }
    }
    apply(t);
    if (t.queue === null && t.worker !== null) {
      const q = this.workerQueue(t.worker);
      if (q !== null) inferQueue(t, q, "worker_queues");
    }
    this.sync(slot, t, fresh);
    if (!notify && isFinished(t)) this.pack(slot, t);
    else if (isFinished(t)) {
      this.hotFinished.set(slot, t);
      this.c.hot[slot] = HOT_FINISHED_MAP;
    } else {
      this.hotUnfinished.set(slot, t);
      this.c.hot[slot] = HOT_UNFINISHED_MAP;
    }
    this.coolDown();
    if (this.count > this.maxTasks) this.evict();
    if (notify) for (const l of this.listeners) l(t);
    return t;
  }

  private allocate(): number {
    const reused = this.freeSlots.shift();
    if (reused !== undefined) return reused;
    const slot = this.nextSlot++;
    this.c.grow(slot + 1, this.maxTasks + 1);
    this.texts.reserve(this.c.capacity);
    return slot;
  }

  /** Writes a record's indexed fields into the columns and keeps every index in step. */
  private sync(slot: number, t: TaskRecord, fresh: boolean): void {
    const c = this.c;
    if (this.hotText.size) this.hotText.delete(slot);
    const state = STATE_CODE.get(t.state)!;
    const recv = receivedTime(t);
    const oldState = fresh ? EMPTY : c.state[slot]!;
    const moved = fresh || c.recv[slot] !== recv;
    if (!fresh && moved) this.order.remove(slot);
    c.seq[slot] = t.seq;
    c.stateAt[slot] = t.stateAt;
    c.firstSeen[slot] = t.firstSeen;
    put(c.sent, slot, t.sent);
    put(c.received, slot, t.received);
    put(c.started, slot, t.started);
    put(c.finished, slot, t.finished);
    put(c.runtime, slot, t.runtime);
    c.recv[slot] = recv;
    putSmall(c.retries, this.bigInts.retries, slot, t.retries);
    putSmall(c.priority, this.bigInts.priority, slot, t.priority);
    const hadParent = (c.flags[slot]! & F_PARENT) !== 0 && !fresh;
    // A queue's source is one of four; a queue with none (an older record) reads as stated by events.
    const queueSource = t.queue === null ? 0 : Math.max(0, QUEUE_SOURCES.indexOf(t.queueSource ?? "event"));
    c.flags[slot] = (t.fromEvents ? F_EVENTS : 0) | (t.fromBackend ? F_BACKEND : 0) | (t.parentId !== null ? F_PARENT : 0) | (queueSource << F_QUEUE_SHIFT);
    this.setSym(this.syms.name, c.name, slot, t.name);
    this.setSym(this.syms.worker, c.worker, slot, t.worker);
    this.setSym(this.syms.queue, c.queue, slot, t.queue);
    this.setSym(this.syms.exchange, c.exchange, slot, t.exchange);
    this.setSym(this.syms.routingKey, c.routingKey, slot, t.routingKey);
    if (c.sparse[slot] || t.excType !== null || t.excModule !== null || t.traceback !== null) {
      this.setSparse(this.syms.excType, this.failure.excType, slot, t.excType, 1);
      this.setSparse(this.syms.excModule, this.failure.excModule, slot, t.excModule, 2);
      this.setSparse(this.syms.traceback, this.failure.traceback, slot, t.traceback, 4);
    }
    if (oldState !== state) {
      if (oldState !== EMPTY) {
        this.stateCounts[oldState]!--;
        this.tracked.get(oldState)?.delete(slot);
      }
      this.stateCounts[state]!++;
      this.tracked.get(state)?.add(slot);
    }
    if (moved) {
      c.state[slot] = state;
      this.order.insert(slot);
    } else if (oldState !== state) {
      this.order.changeState(slot, oldState, state);
      c.state[slot] = state;
    }
    const parent = hadParent ? this.parentOf.get(slot)! : null;
    if (parent !== t.parentId) {
      if (parent !== null) this.unlinkParent(slot, parent);
      if (t.parentId !== null) {
        this.parentOf.set(slot, t.parentId);
        let kids = this.children.get(t.parentId);
        if (!kids) this.children.set(t.parentId, (kids = new Set()));
        kids.add(slot);
      }
    }
  }

  private setSym(syms: Symbols, col: Uint32Array, slot: number, value: string | null): void {
    const cur = col[slot]!;
    if (syms.value(cur) === value) return;
    syms.release(cur);
    col[slot] = syms.acquire(value);
  }

  /** The same for values few tasks have (a failure's type, module and traceback): a map, not a column. */
  private setSparse(syms: Symbols, map: Map<number, number>, slot: number, value: string | null, bit: number): void {
    const has = this.c.sparse;
    const cur = has[slot]! & bit ? map.get(slot)! : 0;
    if (syms.value(cur) === value) return;
    syms.release(cur);
    if (value === null) {
      map.delete(slot);
      has[slot] = has[slot]! & ~bit;
    } else {
      map.set(slot, syms.acquire(value));
      has[slot] = has[slot]! | bit;
    }
  }

  private unlinkParent(slot: number, parent: string): void {
    this.parentOf.delete(slot);
    const kids = this.children.get(parent);
    kids?.delete(slot);
    if (kids && kids.size === 0) this.children.delete(parent);
  }

  /** Packs the least recently touched hot tasks beyond the bounds. */
  private coolDown(): void {
    if (this.hotFinished.size > this.hotLimits.finished) this.packOldest(this.hotFinished, this.hotLimits.finished);
    if (this.hotUnfinished.size > this.hotLimits.unfinished) this.packOldest(this.hotUnfinished, this.hotLimits.unfinished);
  }

  private packOldest(map: Map<number, TaskRecord>, max: number): void {
    for (const [slot, t] of map) {
      if (map.size <= max) return;
      map.delete(slot);
      this.c.hot[slot] = 0;
      this.pack(slot, t);
    }
  }

  private pack(slot: number, t: TaskRecord): void {
    this.hotText.delete(slot);
    this.texts.set(slot, packText(t));
    const { rest, flags } = packRest(t);
    if (rest !== undefined) this.rest.set(slot, rest);
    this.c.flags[slot] = (this.c.flags[slot]! & F_SYNCED) | (flags & 1 ? F_ROOT_SELF : 0) | (flags & 2 ? F_TL_IMPLIED : 0);
  }

  private unpack(slot: number): TaskRecord {
    const c = this.c;
    const sym = (s: Symbols, col: Uint32Array) => s.value(col[slot]!);
    const t = newRecord(this.ids[slot]!, c.seq[slot]!, c.firstSeen[slot]!);
    const f = c.flags[slot]!;
    t.name = sym(this.syms.name, c.name);
    t.state = STATES[c.state[slot]!]!;
    t.stateAt = c.stateAt[slot]!;
    t.sent = dec(c.sent[slot]!);
    t.received = dec(c.received[slot]!);
    t.started = dec(c.started[slot]!);
    t.finished = dec(c.finished[slot]!);
    t.runtime = dec(c.runtime[slot]!);
    t.worker = sym(this.syms.worker, c.worker);
    t.queue = sym(this.syms.queue, c.queue);
    t.queueSource = t.queue === null ? null : QUEUE_SOURCES[(f & F_QUEUE) >> F_QUEUE_SHIFT]!;
    t.exchange = sym(this.syms.exchange, c.exchange);
    t.routingKey = sym(this.syms.routingKey, c.routingKey);
    if (c.sparse[slot]) {
      t.excType = this.syms.excType.value(this.failure.excType.get(slot) ?? 0);
      t.excModule = this.syms.excModule.value(this.failure.excModule.get(slot) ?? 0);
      t.traceback = this.syms.traceback.value(this.failure.traceback.get(slot) ?? 0);
    }
    t.priority = getSmall(c.priority, this.bigInts.priority, slot);
    t.retries = getSmall(c.retries, this.bigInts.retries, slot);
    t.fromEvents = (f & F_EVENTS) !== 0;
    t.fromBackend = (f & F_BACKEND) !== 0;
    const text = this.texts.get(slot);
    if (text !== undefined) Object.assign(t, unpackText(text));
    unpackRest(t, this.rest.get(slot), (f & F_ROOT_SELF ? 1 : 0) | (f & F_TL_IMPLIED ? 2 : 0));
    return t;
  }

  // --- eviction --------------------------------------------------------------------------------

  /**
   * Drops the oldest finished tasks first. Unfinished tasks met on the way move to the back of the
   * line (each is passed over once per round, so this stays cheap); if a whole round finds nothing
   * finished, the oldest go anyway: the bound holds.
   */
  private evict(): void {
    let excess = this.count - this.maxTasks;
    let passes = this.line.length / 2;
    while (excess > 0 && this.line.length) {
      const slot = this.line.shift()!;
      const seq = this.line.shift()!;
      if (this.c.state[slot] === EMPTY || this.c.seq[slot]! >>> 0 !== seq) continue; // gone, or the slot reused
      const finished = SETTLED_CODES.has(this.c.state[slot]!);
      if (finished || passes-- <= 0) {
        this.remove(slot);
        excess--;
      } else {
        this.line.push(slot);
        this.line.push(seq);
      }
    }
  }

  private remove(slot: number): void {
    const c = this.c;
    const id = this.ids[slot]!;
    this.order.remove(slot);
    const state = c.state[slot]!;
    this.stateCounts[state]!--;
    this.tracked.get(state)?.delete(slot);
    for (const key of ["name", "worker", "queue", "exchange", "routingKey"] as const) {
      this.syms[key].release(c[key][slot]!);
      c[key][slot] = 0;
    }
    if (c.sparse[slot]) {
      for (const key of ["excType", "excModule", "traceback"] as const) {
        this.syms[key].release(this.failure[key].get(slot) ?? 0);
        this.failure[key].delete(slot);
      }
      c.sparse[slot] = 0;
    }
    this.bigInts.retries.delete(slot);
    this.bigInts.priority.delete(slot);
    const parent = this.parentOf.get(slot);
    if (parent !== undefined) this.unlinkParent(slot, parent);
    c.state[slot] = EMPTY;
    this.cool(slot);
    this.texts.delete(slot);
    this.rest.delete(slot);
    this.hotText.delete(slot);
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.oddIds.delete(slot);
    this.freeSlots.push(slot);
    this.count--;
  }

  // --- reads -----------------------------------------------------------------------------------

  /** Distinct values of an index, with counts (for filter pickers). */
  facet(idx: IndexName): Map<string, number> {
    if (idx === "state") return this.countByState();
    if (idx === "parent") return new Map([...this.children].map(([k, v]) => [k, v.size]));
    return this.syms[idx].counts();
  }

  /**
   * The 95th percentile of the runtimes (seconds) of the held tasks named `name`, when at least
   * MIN_RUNTIMES of them ran; a column scan, so kept for RUNTIME_STATS_MS.
   */
  typicalRuntime(name: string, now = Date.now()): number | null {
    const held = this.runtimeStats.get(name);
    if (held && now - held.at < RUNTIME_STATS_MS) return held.p95;
    const sym = this.syms.name.idOf(name);
    const runtimes: number[] = [];
    if (sym !== undefined) {
      const c = this.c;
      for (let slot = 0; slot < this.nextSlot; slot++) {
        if (c.name[slot] !== sym || c.state[slot] === EMPTY) continue;
        const r = dec(c.runtime[slot]!);
        if (r !== null) runtimes.push(r);
      }
    }
    runtimes.sort((a, b) => a - b);
    const p95 = runtimes.length >= MIN_RUNTIMES ? runtimes[Math.min(runtimes.length - 1, Math.floor(runtimes.length * 0.95))]! : null;
    this.runtimeStats.set(name, { at: now, p95 });
    return p95;
  }

  /**
   * The tasks named `name`, newest received first, as what a periodic entry is matched on: its send
   * time (else receive time, else first sight), queue and args/kwargs as text. No record is
   * unpacked; `visit` returns false to stop.
   */
  eachNamed(name: string, visit: (t: NamedTask) => boolean): void {
    const sym = this.syms.name.idOf(name);
    if (sym === undefined) return;
    let left = this.syms.name.count(sym);
    const c = this.c;
    this.order.walk(-1, -Infinity, Infinity, null, (slot) => {
      if (c.name[slot] !== sym) return true;
      const hot = this.hotRecord(slot);
      const text = hot ? undefined : this.texts.get(slot);
      const args = hot ? recordArgs(hot) : text === undefined ? { args: null, kwargs: null } : packedArgs(text);
      const at = dec(c.sent[slot]!) ?? dec(c.received[slot]!) ?? c.firstSeen[slot]!;
      return visit({ id: this.ids[slot]!, at, queue: this.syms.queue.value(c.queue[slot]!), ...args }) && --left > 0;
    });
  }

  countByState(): Map<TaskState, number> {
    const out = new Map<TaskState, number>();
    STATES.forEach((s, i) => {
      if (this.stateCounts[i]! > 0) out.set(s, this.stateCounts[i]!);
    });
    return out;
  }

  /** Tasks per state whose received time is at or after `since` (the overview's last hour / day). */
  countByStateSince(since: number): Record<string, number> {
    const counts = this.order.countFrom(since);
    const out: Record<string, number> = {};
    STATES.forEach((s, i) => {
      if (counts[i]! > 0) out[s] = counts[i]!;
    });
    return out;
  }

  *all(): IterableIterator<TaskRecord> {
    for (let slot = 0; slot < this.nextSlot; slot++) if (this.c.state[slot] !== EMPTY) yield this.record(slot);
  }

  /** Ids of the tasks that name `id` as their parent. */
  childrenOf(id: string): string[] {
    return [...(this.children.get(id) ?? [])].map((slot) => this.ids[slot]!);
  }

  /** Tasks in a given state. */
  inState(state: TaskState): ReadonlySet<TaskRecord> {
    const code = STATE_CODE.get(state)!;
    const out = new Set<TaskRecord>();
    const set = this.tracked.get(code);
    if (set) for (const slot of set) out.add(this.record(slot));
    else for (let slot = 0; slot < this.nextSlot; slot++) if (this.c.state[slot] === code) out.add(this.record(slot));
    return out;
  }

  query(filter: TaskFilter, sort: TaskSort, limit: number, cursor: Cursor | null): TaskPage {
    const m = this.matcher(filter);
    if (!m) return { tasks: [], total: 0, nextCursor: null };
    const page = sort.by === "received" ? this.pageByReceived(m, sort.order, limit, cursor) : this.pageByScan(m, sort, limit, cursor);
    const slots = page.slots.slice(0, limit);
    const last = slots[slots.length - 1];
    const nextCursor = page.slots.length > limit && last !== undefined ? encodeCursor({ v: page.keyOf(last), seq: this.c.seq[last]! }) : null;
    return { tasks: slots.map((s) => this.record(s)), total: page.total, nextCursor };
  }

  /** The filter as column tests; null when it cannot match anything (an unknown name...). */
  private matcher(f: TaskFilter): Matcher | null {
    const m: Matcher = { states: ALL_STATES, name: 0, worker: 0, queue: 0, since: -Infinity, until: Infinity, hits: null, hitCount: 0, few: null, dims: 0 };
    if (f.states) {
      m.states = 0;
      for (const s of f.states) m.states |= 1 << STATE_CODE.get(s)!;
      m.dims++;
    }
    for (const key of ["name", "worker", "queue"] as const) {
      const v = f[key];
      if (v === undefined) continue;
      const id = this.syms[key].idOf(v);
      if (id === undefined) return null;
      m[key] = id;
      m.dims++;
    }
    if (f.since !== undefined || f.until !== undefined) {
      m.since = f.since ?? -Infinity;
      m.until = f.until ?? Infinity;
      m.dims++;
    }
    if (f.q) {
      const hits = new Uint8Array(this.nextSlot);
      m.hitCount = this.find(f.q, hits);
      m.hits = hits;
      if (m.hitCount <= FEW) {
        // Few matches (the usual search): list them, and page by sorting just those.
        const list: number[] = [];
        for (let at = hits.indexOf(1); at !== -1; at = hits.indexOf(1, at + 1)) list.push(at);
        m.few = list;
      }
      m.dims++;
    }
    return m;
  }

  /** Marks the slots whose id, name, args, kwargs, result or exception contain `q` (lower-case). */
  private find(q: string, hits: Uint8Array): number {
    if (q.includes(SEP)) {
      // Not expressible over the joined text: the record-by-record way.
      let n = 0;
      for (let slot = 0; slot < this.nextSlot; slot++) {
        if (this.c.state[slot] !== EMPTY && matchesText(this.record(slot), q)) (hits[slot] = 1), n++;
      }
      return n;
    }
    let n = this.texts.find(literalPattern(q), hits);
    // Hot tasks' text is not in the blocks: read from their records (lower-cased once per change).
    for (const map of [this.hotFinished, this.hotUnfinished]) {
      for (const [slot, t] of map) {
        if (hits[slot]) continue;
        let text = this.hotText.get(slot);
        if (text === undefined) this.hotText.set(slot, (text = searchTextOf(t).toLowerCase()));
        if (text.includes(q)) (hits[slot] = 1), n++;
      }
    }
    // Ids: lower-case UUIDs can only contain a query made of their own characters; custom ids are few.
    const mark = (slot: number) => {
      const id = this.ids[slot];
      if (id !== undefined && !hits[slot] && id.toLowerCase().includes(q)) (hits[slot] = 1), n++;
    };
    if (UUID_LIKE.test(q)) {
      const ids = this.ids;
      for (let slot = 0; slot < this.nextSlot; slot++) {
        const id = ids[slot];
        if (id !== undefined && !hits[slot] && id.includes(q)) (hits[slot] = 1), n++;
      }
    }
    for (const slot of this.oddIds) mark(slot);
    // Names are few: test each once, then mark their tasks.
    const names = this.syms.name.matching((v) => v.toLowerCase().includes(q));
    if (names) {
      const col = this.c.name;
      const state = this.c.state;
      for (let slot = 0; slot < this.nextSlot; slot++) {
        if (names[col[slot]!] && !hits[slot] && state[slot] !== EMPTY) (hits[slot] = 1), n++;
      }
    }
    return n;
  }

  private test(m: Matcher, slot: number): boolean {
    const c = this.c;
    if (!((1 << c.state[slot]!) & m.states)) return false;
    if (m.name && c.name[slot] !== m.name) return false;
    if (m.worker && c.worker[slot] !== m.worker) return false;
    if (m.queue && c.queue[slot] !== m.queue) return false;
    if (m.hits && !m.hits[slot]) return false;
    return true;
  }

  /** The number of matches when an index knows it without a walk; null otherwise. */
  private knownTotal(m: Matcher): number | null {
    if (m.dims === 0) return this.count;
    if (m.dims > 1) return null;
    if (m.states !== ALL_STATES) {
      let n = 0;
      for (let s = 0; s < STATE_COUNT; s++) if (m.states & (1 << s)) n += this.stateCounts[s]!;
      return n;
    }
    if (m.name) return this.syms.name.count(m.name);
    if (m.worker) return this.syms.worker.count(m.worker);
    if (m.queue) return this.syms.queue.count(m.queue);
    if (m.hits) return m.hitCount;
    return this.order.countRange(m.since, m.until);
  }

  /** Counts the matches with one pass over the columns. */
  private countMatches(m: Matcher): number {
    const c = this.c;
    const { state, name, worker, queue, recv } = c;
    const hits = m.hits;
    let n = 0;
    for (let slot = 0; slot < this.nextSlot; slot++) {
      const st = state[slot]!;
      if (st === EMPTY || !((1 << st) & m.states)) continue;
      if (m.name && name[slot] !== m.name) continue;
      if (m.worker && worker[slot] !== m.worker) continue;
      if (m.queue && queue[slot] !== m.queue) continue;
      if (hits && !hits[slot]) continue;
      const r = recv[slot]!;
      if (r < m.since || r > m.until) continue;
      n++;
    }
    return n;
  }

  /** Received-time order: walk the order index from the right end, stop once the page is full. */
  private pageByReceived(m: Matcher, order: "asc" | "desc", limit: number, cursor: Cursor | null): { slots: number[]; total: number; keyOf: (s: number) => number } {
    const dir = order === "asc" ? 1 : -1;
    const c = this.c;
    const keyOf = (s: number) => c.recv[s]!;
    if (m.few) {
      const cmp = (a: number, b: number) => (c.recv[a]! - c.recv[b]! || c.seq[a]! - c.seq[b]!) * dir;
      const list = m.few.filter((s) => this.test(m, s) && c.recv[s]! >= m.since && c.recv[s]! <= m.until).sort(cmp);
      let start = 0;
      if (cursor) {
        const after = (s: number) => (c.recv[s]! !== cursor.v ? (c.recv[s]! > cursor.v ? 1 : -1) * dir > 0 : (c.seq[s]! - cursor.seq) * dir > 0);
        while (start < list.length && !after(list[start]!)) start++;
      }
      return { slots: list.slice(start, start + limit + 1), total: list.length, keyOf };
    }
    const total = this.knownTotal(m) ?? this.countMatches(m);
    const slots: number[] = [];
    if (total > 0) {
      let left = total;
      this.order.walk(dir, m.since, m.until, cursor ? { v: cursor.v, s: cursor.seq } : null, (slot) => {
        if (!this.test(m, slot)) return true;
        slots.push(slot);
        // Without a cursor every match is ahead: stop when they are all found.
        return slots.length <= limit && (cursor !== null || --left > 0);
      });
    }
    return { slots, total, keyOf };
  }

  /** Other sorts: one pass over the columns, keeping the best limit + 1 (no index for these). */
  private pageByScan(m: Matcher, sort: TaskSort, limit: number, cursor: Cursor | null): { slots: number[]; total: number; keyOf: (s: number) => number } {
    const c = this.c;
    const col = sort.by === "started" ? c.started : sort.by === "finished" ? c.finished : sort.by === "runtime" ? c.runtime : c.recv;
    // Missing values sort as the oldest/smallest, so unfinished tasks trail a "finished" listing.
    const keyOf = (s: number) => {
      const v = col[s]!;
      return v === 0 ? (Object.is(v, -0) ? 0 : -Infinity) : v;
    };
    const dir = sort.order === "desc" ? -1 : 1;
    const seq = c.seq;
    // cmp < 0 when (av, as) comes first in the listing.
    const cmp = (av: number, as: number, bv: number, bs: number) => (av !== bv ? (av < bv ? -1 : 1) * dir : (as - bs) * dir);
    const best: number[] = []; // slots, kept in listing order, at most limit + 1
    const keys: number[] = [];
    let total = 0;
    const visit = (slot: number) => {
      if (c.state[slot] === EMPTY || !this.test(m, slot)) return;
      const r = c.recv[slot]!;
      if (r < m.since || r > m.until) return;
      total++;
      const v = keyOf(slot);
      const s = seq[slot]!;
      if (cursor && cmp(v, s, cursor.v, cursor.seq) <= 0) return;
      if (best.length === limit + 1) {
        const w = best[limit]!;
        if (cmp(v, s, keys[limit]!, seq[w]!) >= 0) return;
        best.pop();
        keys.pop();
      }
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(v, s, keys[mid]!, seq[best[mid]!]!) < 0) hi = mid;
        else lo = mid + 1;
      }
      best.splice(lo, 0, slot);
      keys.splice(lo, 0, v);
    };
    // Slots roughly follow time: walking newest first for "desc" makes most candidates lose at once.
    if (dir === -1) for (let slot = this.nextSlot - 1; slot >= 0; slot--) visit(slot);
    else for (let slot = 0; slot < this.nextSlot; slot++) visit(slot);
    return { slots: best, total, keyOf };
  }
}

/** A task as eachNamed gives it. */
export interface NamedTask {
  id: string;
  /** When it was sent (else received, else first seen), ms. */
  at: number;
  queue: string | null;
  args: ArgText | null;
  kwargs: ArgText | null;
}

interface Matcher {
  /** Bit mask of accepted state codes. */
  states: number;
  /** Symbol ids that must match; 0 when not filtered. */
  name: number;
  worker: number;
  queue: number;
  since: number;
  until: number;
  /** Slots matching the text search, when there is one. */
  hits: Uint8Array | null;
  hitCount: number;
  /** The matching slots, when there are few. */
  few: number[] | null;
  /** How many filters are set. */
  dims: number;
}
