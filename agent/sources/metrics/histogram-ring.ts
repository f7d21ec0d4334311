/**
 * One key's histograms over time at one resolution (a tier): a ring of SLOTS histograms, each
 * `width` minutes wide, sparse. A histogram holds only its non-empty bins, each one 32-bit entry
 * (bin << COUNT_BITS | count), in a region of one arena (a Uint32Array per ring): no object per
 * histogram. A region that fills moves to the arena's end with twice the room; the arena is
 * compacted when moved-out regions make up half of it. A slot's region is kept (emptied) when the
 * ring moves past it, as the next histogram there is about as wide.
 *
 * Each histogram also counts how many of its values were measured from a sent time (queue waits:
 * see WAIT_BASES), so a window can say what its wait figure is measured from.
 */
import type { DenseHistogram } from "./log-bins";

const COUNT_BITS = 22;
const COUNT_MAX = (1 << COUNT_BITS) - 1;
const FIRST_ROOM = 4;
/** Per slot in `meta`: region start, entries used, room, values measured from a sent time. */
const START = 0;
const USED = 1;
const ROOM = 2;
const FROM_SENT = 3;
const META = 4;

export class HistogramRing {
  private readonly meta: Int32Array;
  private arena = new Uint32Array(0);
  /** End of the last region in the arena; `garbage`: entries of regions moved away. */
  private end = 0;
  private garbage = 0;
  /** The newest period (minute / width) held. */
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    readonly slots: number,
    /** Minutes per histogram. */
    readonly width: number,
  ) {
    this.meta = new Int32Array(slots * META);
  }

  get bytes(): number {
    return this.arena.byteLength + this.meta.byteLength;
  }

  /** Adds one value's bin at `minute`; false when the minute is older than the ring holds. */
  add(minute: number, bin: number, fromSent: boolean): boolean {
    const period = Math.floor(minute / this.width);
    if (period > this.last) this.advance(period);
    else if (period <= this.last - this.slots) return false;
    const m = (period % this.slots) * META;
    const meta = this.meta;
    if (fromSent) meta[m + FROM_SENT]!++;
    const start = meta[m + START]!;
    const used = meta[m + USED]!;
    const arena = this.arena;
    for (let i = start; i < start + used; i++) {
      const e = arena[i]!;
      if (e >>> COUNT_BITS === bin && (e & COUNT_MAX) !== COUNT_MAX) {
        arena[i] = e + 1;
        return true;
      }
    }
    if (used === meta[m + ROOM]) this.grow(m);
    this.arena[meta[m + START]! + used] = ((bin << COUNT_BITS) >>> 0) + 1;
    meta[m + USED] = used + 1;
    return true;
  }

  /**
   * Adds the histograms of the periods overlapping minutes [from, to) into `into`; returns how many
   * of their values were measured from a sent time.
   */
  mergeInto(into: DenseHistogram, from: number, to: number): number {
    const first = Math.max(Math.floor(from / this.width), this.last - this.slots + 1);
    const end = Math.min(Math.ceil(to / this.width) - 1, this.last);
    let fromSent = 0;
    for (let p = first; p <= end; p++) {
      const m = (p % this.slots) * META;
      const start = this.meta[m + START]!;
      for (let i = start; i < start + this.meta[m + USED]!; i++) {
        const e = this.arena[i]!;
        into.add(e >>> COUNT_BITS, e & COUNT_MAX);
      }
      fromSent += this.meta[m + FROM_SENT]!;
    }
    return fromSent;
  }

  /** Whether the ring still holds minute `minute` (false once it moved a whole ring past it). */
  holds(minute: number): boolean {
    return Math.floor(minute / this.width) > this.last - this.slots;
  }

  private advance(period: number): void {
    const from = this.last === Number.NEGATIVE_INFINITY ? period : Math.max(this.last + 1, period - this.slots + 1);
    this.last = period;
    for (let p = from; p <= period; p++) {
      const m = (p % this.slots) * META;
      this.meta[m + USED] = 0;
      this.meta[m + FROM_SENT] = 0;
    }
  }

  /** Gives the region of meta offset `m` twice the room, at the arena's end. */
  private grow(m: number): void {
    const meta = this.meta;
    const start = meta[m + START]!;
    const used = meta[m + USED]!;
    const room = Math.max(FIRST_ROOM, meta[m + ROOM]! * 2);
    if (start + meta[m + ROOM]! === this.end && start + room <= this.arena.length) {
      // The last region grows where it is.
      this.end = start + room;
      meta[m + ROOM] = room;
      return;
    }
    if (this.garbage > this.end / 2) this.compact();
    if (this.end + room > this.arena.length) this.resize(Math.max(this.end + room, Math.ceil(this.arena.length * 1.5)));
    const at = this.end;
    this.arena.copyWithin(at, meta[m + START]!, meta[m + START]! + used);
    this.garbage += meta[m + ROOM]!;
    meta[m + START] = at;
    meta[m + ROOM] = room;
    this.end = at + room;
  }

  private resize(length: number): void {
    const next = new Uint32Array(length);
    next.set(this.arena.subarray(0, this.end));
    this.arena = next;
  }

  /** Packs every region to the front, each keeping its room. */
  private compact(): void {
    const next = new Uint32Array(this.arena.length);
    let at = 0;
    for (let m = 0; m < this.meta.length; m += META) {
      const room = this.meta[m + ROOM]!;
      if (!room) continue;
      const start = this.meta[m + START]!;
      next.set(this.arena.subarray(start, start + this.meta[m + USED]!), at);
      this.meta[m + START] = at;
      at += room;
    }
    this.arena = next;
    this.end = at;
    this.garbage = 0;
  }
}
