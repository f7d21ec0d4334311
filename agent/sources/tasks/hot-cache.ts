/**
 * The tasks kept as live TaskRecord objects ("hot"): those touched recently, when a late event or
 * backend write is likely, and those not finished. Merging a change into a live object is cheaper
 * than unpacking and repacking, but objects cost memory, so the cache is bounded: past its limits
 * the least recently touched are handed back to be packed (record-codec.ts), and only a few
 * thousand objects exist however many tasks are held.
 *
 * The slot's `hot` column says which map holds it, so asking about a cold task costs no map lookup.
 */
import { isFinished, type TaskRecord } from "./record";
import { searchTextOf } from "./pack";
import type { Columns } from "./columns";

/** The hot column: which map holds a task's record (0: none, it is packed). */
const HOT_FINISHED_MAP = 1;
const HOT_UNFINISHED_MAP = 2;

/** Finished tasks kept as objects (recently touched: a late event or backend write is likely). */
const HOT_FINISHED = 256;
/** Unfinished tasks kept as objects; beyond this many (a backlog), the least recently touched are packed too. */
const HOT_UNFINISHED = 20_000;

export interface HotLimits {
  finished?: number;
  unfinished?: number;
}

export class HotCache {
  /** Hot tasks, least recently touched first. */
  private readonly finished = new Map<number, TaskRecord>();
  private readonly unfinished = new Map<number, TaskRecord>();
  /** Hot tasks' lower-cased search text, made by the first search after a change. */
  private readonly searchText = new Map<number, string>();
  private readonly limits: { finished: number; unfinished: number };

  constructor(
    private readonly c: Columns,
    limits: HotLimits,
  ) {
    this.limits = { finished: limits.finished ?? HOT_FINISHED, unfinished: limits.unfinished ?? HOT_UNFINISHED };
  }

  /** The live record of `slot`, when it is hot. */
  get(slot: number): TaskRecord | undefined {
    const h = this.c.hot[slot];
    return h === HOT_UNFINISHED_MAP ? this.unfinished.get(slot) : h === HOT_FINISHED_MAP ? this.finished.get(slot) : undefined;
  }

  /** Takes a task out (it is about to change, or leave). */
  take(slot: number): void {
    const h = this.c.hot[slot];
    if (h === HOT_UNFINISHED_MAP) this.unfinished.delete(slot);
    else if (h === HOT_FINISHED_MAP) this.finished.delete(slot);
    if (h) this.c.hot[slot] = 0;
    this.changed(slot);
  }

  /** Its search text is stale (the record changed or left). */
  private changed(slot: number): void {
    if (this.searchText.size) this.searchText.delete(slot);
  }

  /** Keeps `t` as the most recently touched; `pack` receives the ones now beyond the limits. */
  keep(slot: number, t: TaskRecord, pack: (slot: number, t: TaskRecord) => void): void {
    if (isFinished(t)) {
      this.finished.set(slot, t);
      this.c.hot[slot] = HOT_FINISHED_MAP;
    } else {
      this.unfinished.set(slot, t);
      this.c.hot[slot] = HOT_UNFINISHED_MAP;
    }
    if (this.finished.size > this.limits.finished) this.packOldest(this.finished, this.limits.finished, pack);
    if (this.unfinished.size > this.limits.unfinished) this.packOldest(this.unfinished, this.limits.unfinished, pack);
  }

  private packOldest(map: Map<number, TaskRecord>, max: number, pack: (slot: number, t: TaskRecord) => void): void {
    for (const [slot, t] of map) {
      if (map.size <= max) return;
      map.delete(slot);
      this.c.hot[slot] = 0;
      this.changed(slot);
      pack(slot, t);
    }
  }

  /** Marks the hot tasks whose search text contains `q` (lower-case) and not yet in `hits`; returns how many. */
  find(q: string, hits: Uint8Array): number {
    let n = 0;
    for (const map of [this.finished, this.unfinished]) {
      for (const [slot, t] of map) {
        if (hits[slot]) continue;
        let text = this.searchText.get(slot);
        if (text === undefined) {
          text = searchTextOf(t).toLowerCase();
          this.searchText.set(slot, text);
        }
        if (text.includes(q)) {
          hits[slot] = 1;
          n++;
        }
      }
    }
    return n;
  }
}
