/**
 * One key's figures per minute for the last 24 hours (a task name, a queue, a worker): a ring of
 * MINUTES slots per column, each column a typed array allocated the first time it gets a value (a
 * name never retried keeps no retry column). Narrow columns (Uint16, 2 bytes a minute) hold counts;
 * a count past 65,535 in one minute keeps the rest in a small map. Wide columns (Uint32) hold
 * sums and samples (milliseconds busy, kB, depths). The slots of minutes the ring moved past are
 * cleared as it moves, so a slot holds minute m when `last - MINUTES < m <= last`.
 */
export const MINUTES = 24 * 60;
const NARROW_MAX = 0xffff;

type Column = Uint16Array | Uint32Array;

export class MinuteColumns {
  private readonly cols: (Column | null)[];
  /** Counts past NARROW_MAX: column * MINUTES + slot -> the excess. */
  private excess: Map<number, number> | null = null;
  /** The newest minute held (-Infinity: none yet). */
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly wide: readonly boolean[]) {
    this.cols = wide.map(() => null);
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
    const c = this.cols[col] ?? this.allocate(col);
    const v = c[slot]! + n;
    if (v <= NARROW_MAX || this.wide[col]) c[slot] = v;
    else {
      c[slot] = NARROW_MAX;
      this.excess ??= new Map();
      const key = col * MINUTES + slot;
      this.excess.set(key, (this.excess.get(key) ?? 0) + v - NARROW_MAX);
    }
    return true;
  }

  /** Keeps the larger of the held value and `v` (wide columns: maxima, samples). */
  max(minute: number, col: number, v: number): void {
    const slot = this.slotFor(minute);
    if (slot < 0) return;
    const c = this.cols[col] ?? this.allocate(col);
    if (v > c[slot]!) c[slot] = v;
  }

  /** Sets the value (wide columns: the last sample of the minute). */
  set(minute: number, col: number, v: number): void {
    const slot = this.slotFor(minute);
    if (slot < 0) return;
    (this.cols[col] ?? this.allocate(col))[slot] = v;
  }

  /** The value at `minute` (0 when the ring does not hold it). */
  get(minute: number, col: number): number {
    const c = this.cols[col];
    if (!c || minute > this.last || minute <= this.last - MINUTES) return 0;
    const slot = ((minute % MINUTES) + MINUTES) % MINUTES;
    const v = c[slot]!;
    return v === NARROW_MAX && this.excess ? v + (this.excess.get(col * MINUTES + slot) ?? 0) : v;
  }

  /** The sum of `col` over minutes [from, to). */
  sum(from: number, to: number, col: number): number {
    const c = this.cols[col];
    if (!c) return 0;
    const first = Math.max(from, this.last - MINUTES + 1);
    const end = Math.min(to, this.last + 1);
    let n = 0;
    // Straight over the ring's slots (at most two runs); the rare counts past 65,535 added after.
    let slot = ((first % MINUTES) + MINUTES) % MINUTES;
    for (let m = first; m < end; m++) {
      n += c[slot]!;
      if (++slot === MINUTES) slot = 0;
    }
    if (this.excess && first < end) for (let m = first; m < end; m++) n += this.get(m, col) - c[((m % MINUTES) + MINUTES) % MINUTES]!;
    return n;
  }

  /** Adds `col` over minutes [from, to) into `into[offset + stride * step index]`, `step` minutes a step. */
  addSteps(from: number, to: number, step: number, col: number, into: Float64Array, stride: number, offset: number): void {
    if (!this.cols[col]) return;
    const first = Math.max(from, this.last - MINUTES + 1);
    const end = Math.min(to, this.last + 1);
    for (let m = first; m < end; m++) {
      const v = this.get(m, col);
      if (v) into[offset + stride * Math.floor((m - from) / step)]! += v;
    }
  }

  /** The slot of `minute`, moving the ring forward to it when it is newer; -1 when too old. */
  private slotFor(minute: number): number {
    if (minute > this.last) this.advance(minute);
    else if (minute <= this.last - MINUTES) return -1;
    return ((minute % MINUTES) + MINUTES) % MINUTES;
  }

  private advance(minute: number): void {
    const from = this.last === Number.NEGATIVE_INFINITY ? minute : this.last + 1;
    this.last = minute;
    if (minute - from >= MINUTES) {
      for (const c of this.cols) c?.fill(0);
      this.excess = null;
      return;
    }
    for (let m = from; m <= minute; m++) {
      const slot = m % MINUTES;
      this.cols.forEach((c, col) => {
        if (!c) return;
        c[slot] = 0;
        this.excess?.delete(col * MINUTES + slot);
      });
    }
  }

  private allocate(col: number): Column {
    const c = this.wide[col] ? new Uint32Array(MINUTES) : new Uint16Array(MINUTES);
    this.cols[col] = c;
    return c;
  }
}
