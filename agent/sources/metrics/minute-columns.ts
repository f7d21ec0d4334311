/**
 * One key's figures per minute for the last 24 hours (a task name, a queue, a worker): a ring of
 * MINUTES slots per column, each column a typed array allocated the first time it gets a value (a
 * name never retried keeps no retry column) and as narrow as its values allow: 1 byte a minute
 * while every minute's value is under 256, widened to 2 then 4 bytes the first time one is not.
 * The slots of minutes the ring moved past are cleared as it moves, so a slot holds minute m when
 * `last - MINUTES < m <= last`.
 */
export const MINUTES = 24 * 60;

type Column = Uint8Array | Uint16Array | Uint32Array;

const slotOf = (minute: number) => ((minute % MINUTES) + MINUTES) % MINUTES;

export class MinuteColumns {
  private readonly cols: (Column | null)[];
  /** The newest minute held (-Infinity: none yet). */
  private last = Number.NEGATIVE_INFINITY;

  constructor(columns: number) {
    this.cols = new Array<Column | null>(columns).fill(null);
  }

  /** Bytes held (typed arrays only). */
  get bytes(): number {
    let n = 0;
    for (const c of this.cols) if (c) n += c.byteLength;
    return n;
  }

  /** Adds `n` (a whole number >= 0) to `col` at `minute`; false when the minute is older than the ring. */
  add(minute: number, col: number, n: number): boolean {
    const slot = this.slotFor(minute);
    if (slot < 0) return false;
    this.store(col, slot, (this.cols[col]?.[slot] ?? 0) + n);
    return true;
  }

  /** Keeps the larger of the held value and `v`. */
  max(minute: number, col: number, v: number): void {
    const slot = this.slotFor(minute);
    if (slot >= 0 && v > (this.cols[col]?.[slot] ?? 0)) this.store(col, slot, v);
  }

  /** Sets the value (the last sample of the minute). */
  set(minute: number, col: number, v: number): void {
    const slot = this.slotFor(minute);
    if (slot >= 0) this.store(col, slot, v);
  }

  /** The value at `minute` (0 when the ring does not hold it). */
  get(minute: number, col: number): number {
    const c = this.cols[col];
    if (!c || minute > this.last || minute <= this.last - MINUTES) return 0;
    return c[slotOf(minute)]!;
  }

  /** The sum of `col` over minutes [from, to). */
  sum(from: number, to: number, col: number): number {
    const c = this.cols[col];
    if (!c) return 0;
    const first = Math.max(from, this.last - MINUTES + 1);
    const end = Math.min(to, this.last + 1);
    let n = 0;
    let slot = slotOf(first);
    for (let m = first; m < end; m++) {
      n += c[slot]!;
      if (++slot === MINUTES) slot = 0;
    }
    return n;
  }

  /** Adds `col` over minutes [from, to) into `into[offset + stride * step index]`, `step` minutes a step. */
  addSteps(from: number, to: number, step: number, col: number, into: Float64Array, stride: number, offset: number): void {
    const c = this.cols[col];
    if (!c) return;
    const first = Math.max(from, this.last - MINUTES + 1);
    const end = Math.min(to, this.last + 1);
    for (let m = first; m < end; m++) {
      const v = c[slotOf(m)]!;
      if (v) into[offset + stride * Math.floor((m - from) / step)]! += v;
    }
  }

  private store(col: number, slot: number, v: number): void {
    let c = this.cols[col];
    if (!c) {
      c = new Uint8Array(MINUTES);
      this.cols[col] = c;
    }
    if (v > 0xff && c instanceof Uint8Array) c = this.widen(col, new Uint16Array(MINUTES));
    if (v > 0xffff && !(c instanceof Uint32Array)) c = this.widen(col, new Uint32Array(MINUTES));
    c[slot] = Math.min(v, 0xffffffff);
  }

  private widen(col: number, wider: Uint16Array | Uint32Array): Column {
    wider.set(this.cols[col]!);
    this.cols[col] = wider;
    return wider;
  }

  /** The slot of `minute`, moving the ring forward to it when it is newer; -1 when too old. */
  private slotFor(minute: number): number {
    if (minute > this.last) this.advance(minute);
    else if (minute <= this.last - MINUTES) return -1;
    return slotOf(minute);
  }

  private advance(minute: number): void {
    const from = this.last === Number.NEGATIVE_INFINITY ? minute : this.last + 1;
    this.last = minute;
    for (const c of this.cols) {
      if (!c) continue;
      if (minute - from >= MINUTES) c.fill(0);
      else for (let m = from; m <= minute; m++) c[slotOf(m)] = 0;
    }
  }
}
