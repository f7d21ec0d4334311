/**
 * A TaskRecord in and out of its slot: write() puts the fields filters, sorts and counts read into
 * the columns (interning names, workers, queues...), pack() keeps the rest as text (pack.ts) once
 * the task goes quiet, unpack() builds a fresh record from both. This is the one place that knows
 * which field lives where, so a field added to TaskRecord is added here (both ways) and in pack.ts.
 */
import { QUEUE_SOURCES } from "../../api/schema/enums";
import { newRecord, type TaskRecord } from "./record";
import { packRest, packText, unpackRest, unpackText } from "./pack";
import { TextStore } from "./search";
import type { Symbols } from "./symbols";
import { dec, getSmall, put, putSmall } from "./columns";
import { F_BACKEND, F_EVENTS, F_PARENT, F_QUEUE, F_QUEUE_SHIFT, F_ROOT_SELF, F_TL_IMPLIED, STATES, type TaskSlots } from "./slots";

/** The flags write() owns (pack() adds its own). */
const F_WRITTEN = F_EVENTS | F_BACKEND | F_PARENT | F_QUEUE;

export class RecordCodec {
  /** Cold tasks' packed text (see pack.ts), kept in blocks for the search. */
  readonly texts = new TextStore();
  /** Cold tasks' rarely present fields (most have none). */
  private readonly rest = new Map<number, string>();

  constructor(private readonly slots: TaskSlots) {}

  /** Sizes the text index for every slot the columns can hold. */
  reserve(): void {
    this.texts.reserve(this.slots.c.capacity);
  }

  /** Writes a record's indexed fields into the columns (all but state: indexes.ts moves that). */
  write(slot: number, t: TaskRecord, recv: number): void {
    const { c, syms, failure, bigInts } = this.slots;
    c.seq[slot] = t.seq;
    c.stateAt[slot] = t.stateAt;
    c.firstSeen[slot] = t.firstSeen;
    put(c.sent, slot, t.sent);
    put(c.received, slot, t.received);
    put(c.started, slot, t.started);
    put(c.finished, slot, t.finished);
    put(c.runtime, slot, t.runtime);
    c.recv[slot] = recv;
    putSmall(c.retries, bigInts.retries, slot, t.retries);
    putSmall(c.priority, bigInts.priority, slot, t.priority);
    // A queue's source is one of four; a queue with none (an older record) reads as stated by events.
    const queueSource = t.queue === null ? 0 : Math.max(0, QUEUE_SOURCES.indexOf(t.queueSource ?? "event"));
    c.flags[slot] = (t.fromEvents ? F_EVENTS : 0) | (t.fromBackend ? F_BACKEND : 0) | (t.parentId !== null ? F_PARENT : 0) | (queueSource << F_QUEUE_SHIFT);
    setSym(syms.name, c.name, slot, t.name);
    setSym(syms.worker, c.worker, slot, t.worker);
    setSym(syms.queue, c.queue, slot, t.queue);
    setSym(syms.exchange, c.exchange, slot, t.exchange);
    setSym(syms.routingKey, c.routingKey, slot, t.routingKey);
    if (c.sparse[slot] || t.excType !== null || t.excModule !== null || t.traceback !== null) {
      this.setSparse(syms.excType, failure.excType, slot, t.excType, 1);
      this.setSparse(syms.excModule, failure.excModule, slot, t.excModule, 2);
      this.setSparse(syms.traceback, failure.traceback, slot, t.traceback, 4);
    }
  }

  /** The same for values few tasks have (a failure's type, module and traceback): a map, not a column. */
  private setSparse(syms: Symbols, map: Map<number, number>, slot: number, value: string | null, bit: number): void {
    const has = this.slots.c.sparse;
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

  /** Keeps the fields the columns do not hold as text: the task goes cold, its object can be dropped. */
  pack(slot: number, t: TaskRecord): void {
    const c = this.slots.c;
    this.texts.set(slot, packText(t));
    const { rest, flags } = packRest(t);
    if (rest !== undefined) this.rest.set(slot, rest);
    c.flags[slot] = (c.flags[slot]! & F_WRITTEN) | (flags & 1 ? F_ROOT_SELF : 0) | (flags & 2 ? F_TL_IMPLIED : 0);
  }

  /** Forgets the packed text (the task is about to change: it is unpacked and will be packed anew). */
  unpacked(slot: number): void {
    this.texts.delete(slot);
    this.rest.delete(slot);
  }

  /** A fresh record of the cold task in `slot`. */
  unpack(slot: number): TaskRecord {
    const { c, syms, failure, bigInts, ids } = this.slots;
    const sym = (s: Symbols, col: Uint32Array) => s.value(col[slot]!);
    const t = newRecord(ids[slot]!, c.seq[slot]!, c.firstSeen[slot]!);
    const f = c.flags[slot]!;
    t.name = sym(syms.name, c.name);
    t.state = STATES[c.state[slot]!]!;
    t.stateAt = c.stateAt[slot]!;
    t.sent = dec(c.sent[slot]!);
    t.received = dec(c.received[slot]!);
    t.started = dec(c.started[slot]!);
    t.finished = dec(c.finished[slot]!);
    t.runtime = dec(c.runtime[slot]!);
    t.worker = sym(syms.worker, c.worker);
    t.queue = sym(syms.queue, c.queue);
    t.queueSource = t.queue === null ? null : QUEUE_SOURCES[(f & F_QUEUE) >> F_QUEUE_SHIFT]!;
    t.exchange = sym(syms.exchange, c.exchange);
    t.routingKey = sym(syms.routingKey, c.routingKey);
    if (c.sparse[slot]) {
      t.excType = syms.excType.value(failure.excType.get(slot) ?? 0);
      t.excModule = syms.excModule.value(failure.excModule.get(slot) ?? 0);
      t.traceback = syms.traceback.value(failure.traceback.get(slot) ?? 0);
    }
    t.priority = getSmall(c.priority, bigInts.priority, slot);
    t.retries = getSmall(c.retries, bigInts.retries, slot);
    t.fromEvents = (f & F_EVENTS) !== 0;
    t.fromBackend = (f & F_BACKEND) !== 0;
    const text = this.texts.get(slot);
    if (text !== undefined) Object.assign(t, unpackText(text));
    unpackRest(t, this.rest.get(slot), (f & F_ROOT_SELF ? 1 : 0) | (f & F_TL_IMPLIED ? 2 : 0));
    return t;
  }

  /** Releases everything write() and pack() put in `slot` (the task leaves). */
  clear(slot: number): void {
    const { c, syms, failure, bigInts } = this.slots;
    for (const key of ["name", "worker", "queue", "exchange", "routingKey"] as const) {
      syms[key].release(c[key][slot]!);
      c[key][slot] = 0;
    }
    if (c.sparse[slot]) {
      for (const key of ["excType", "excModule", "traceback"] as const) {
        syms[key].release(failure[key].get(slot) ?? 0);
        failure[key].delete(slot);
      }
      c.sparse[slot] = 0;
    }
    bigInts.retries.delete(slot);
    bigInts.priority.delete(slot);
    this.unpacked(slot);
  }
}

/** Points a column entry at `value`'s symbol, when it changed. */
function setSym(syms: Symbols, col: Uint32Array, slot: number, value: string | null): void {
  const cur = col[slot]!;
  if (syms.value(cur) === value) return;
  syms.release(cur);
  col[slot] = syms.acquire(value);
}
