/**
 * The task store's columns: one typed-array entry per slot for what filters, sorts and counts read,
 * with the encodings that keep untouched entries free (see slots.ts).
 */

/** The state column's value for a free slot. */
export const EMPTY = 255;

/** Bounds up to this many tasks get their columns sized at once (see Columns.grow). */
const PREALLOCATE = 2_000_000;

/** Growable typed arrays, one entry per slot. */
export class Columns {
  capacity = 0;
  seq = new Float64Array(0);
  stateAt = new Float64Array(0);
  firstSeen = new Float64Array(0);
  sent = new Float64Array(0);
  received = new Float64Array(0);
  started = new Float64Array(0);
  finished = new Float64Array(0);
  runtime = new Float64Array(0);
  /** receivedTime(t): the listing key. */
  recv = new Float64Array(0);
  state = new Uint8Array(0);
  flags = new Uint8Array(0);
  /** Which of the sparse failure fields (excType, excModule, traceback) a slot has, as bits. */
  sparse = new Uint8Array(0);
  hot = new Uint8Array(0);
  retries = new Uint8Array(0);
  priority = new Uint8Array(0);
  name = new Uint32Array(0);
  worker = new Uint32Array(0);
  queue = new Uint32Array(0);
  exchange = new Uint32Array(0);
  routingKey = new Uint32Array(0);

  grow(min: number, max: number): void {
    if (min <= this.capacity) return;
    // Up to PREALLOCATE slots the columns are sized for the bound at once: the pages of a fresh
    // typed array are only committed when written, and growing by copies would leave the freed
    // buffers as holes in the process's memory.
    const cap = max <= PREALLOCATE ? max : Math.max(min, Math.min(max, Math.max(1024, Math.ceil(this.capacity * 1.5))));
    const g = <T extends Float64Array | Uint8Array | Int32Array | Uint32Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      if (fill !== undefined) b.fill(fill, a.length);
      return b;
    };
    this.seq = g(this.seq);
    this.stateAt = g(this.stateAt);
    this.firstSeen = g(this.firstSeen);
    this.sent = g(this.sent);
    this.received = g(this.received);
    this.started = g(this.started);
    this.finished = g(this.finished);
    this.runtime = g(this.runtime);
    this.recv = g(this.recv);
    this.state = g(this.state, EMPTY);
    this.flags = g(this.flags);
    this.sparse = g(this.sparse);
    this.hot = g(this.hot);
    this.retries = g(this.retries);
    this.priority = g(this.priority);
    this.name = g(this.name);
    this.worker = g(this.worker);
    this.queue = g(this.queue);
    this.exchange = g(this.exchange);
    this.routingKey = g(this.routingKey);
    this.capacity = cap;
  }
}

/**
 * Nullable numbers in a column: null is 0 (so a column nobody sets stays untouched, and costs no
 * memory: fresh pages are only committed when written), a real 0 is stored as -0.
 */
export const enc = (x: number | null) => (x === null ? 0 : x === 0 ? -0 : x);
export const dec = (x: number) => (x === 0 ? (Object.is(x, -0) ? 0 : null) : x);
/** Writes only a change (an unchanged null is never written: its page stays uncommitted). */
export function put(col: Float64Array, slot: number, x: number | null): void {
  const e = enc(x);
  if (!Object.is(col[slot], e)) col[slot] = e;
}

/** Small non-negative integers (retries, priority) in a byte: null 0, n as n + 1, larger ones beside. */
const SMALL_MAX = 254;
export function putSmall(col: Uint8Array, big: Map<number, number>, slot: number, x: number | null): void {
  const e = x === null ? 0 : Number.isInteger(x) && x >= 0 && x < SMALL_MAX ? x + 1 : 255;
  if (col[slot] !== e) col[slot] = e;
  if (e === 255) big.set(slot, x!);
  else if (big.size) big.delete(slot);
}
export function getSmall(col: Uint8Array, big: Map<number, number>, slot: number): number | null {
  const e = col[slot]!;
  return e === 0 ? null : e === 255 ? big.get(slot)! : e - 1;
}

/** A first-in first-out queue of unsigned 32-bit numbers, growable (slots for reuse, (slot, seq) for eviction). */
export class NumberQueue {
  private buf = new Uint32Array(1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(x: number): void {
    if (this.tail === this.buf.length) {
      const live = this.tail - this.head;
      const next = new Uint32Array(Math.max(1024, live * 2));
      next.set(this.buf.subarray(this.head, this.tail));
      this.buf = next;
      this.head = 0;
      this.tail = live;
    }
    this.buf[this.tail++] = x >>> 0;
  }

  shift(): number | undefined {
    return this.head < this.tail ? this.buf[this.head++] : undefined;
  }
}
