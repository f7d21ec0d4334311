/**
 * Task slots kept sorted by (received time, first-sight order): the listing order of `tasks`.
 *
 * A B+-list: the slots sit in leaves of at most LEAF_CAP, each leaf sorted, the leaves in order.
 * Finding a position is a binary search over the leaves' last keys, then within one leaf; inserting
 * or removing shifts at most one leaf. Tasks mostly arrive in time order, so most inserts append.
 * Each leaf also counts its tasks per state, so "how many tasks per state since T" costs one partial
 * leaf plus a sum over whole leaves, never a walk over every task.
 *
 * The index holds slot numbers only; keys are read through the callbacks, so a slot must be removed
 * before its key changes and inserted again after.
 */
import { TASK_STATES } from "../../api/schema/enums";

const LEAF_CAP = 512;
export const STATE_COUNT = TASK_STATES.length;

export interface OrderKeys {
  /** The primary key (received time, ms). */
  key(slot: number): number;
  /** The tie-breaker, unique per task (first-sight sequence). */
  tie(slot: number): number;
  /** State code 0..9 of the slot (for per-state counts). */
  state(slot: number): number;
}

/** Visits slots in order; return false to stop. */
export type Visit = (slot: number) => boolean;

interface Pos {
  leaf: number;
  i: number;
}

export class OrderIndex {
  private leaves: Int32Array[] = [new Int32Array(LEAF_CAP)];
  /** Each leaf's keys, beside its slots: searches read these, not the columns. */
  private keys: Float64Array[] = [new Float64Array(LEAF_CAP)];
  private lens: number[] = [0];
  private counts: Int32Array[] = [new Int32Array(STATE_COUNT)];
  private n = 0;

  constructor(private readonly k: OrderKeys) {}

  get size(): number {
    return this.n;
  }

  /** (v, s) compared with the entry at (leaf, i): negative when (v, s) comes first. */
  private cmpAt(v: number, s: number, leaf: number, i: number): number {
    const kv = this.keys[leaf]![i]!;
    if (v !== kv) return v < kv ? -1 : 1;
    const ks = this.k.tie(this.leaves[leaf]![i]!);
    return s === ks ? 0 : s < ks ? -1 : 1;
  }

  /** First position whose key is >= (v, s). */
  private lowerBound(v: number, s: number): Pos {
    const { leaves, lens } = this;
    let lo = 0;
    let hi = leaves.length - 1;
    // The first leaf whose last key is >= (v, s); the last leaf if none.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const len = lens[mid]!;
      if (len === 0 || this.cmpAt(v, s, mid, len - 1) > 0) lo = mid + 1;
      else hi = mid;
    }
    let a = 0;
    let b = lens[lo]!;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (this.cmpAt(v, s, lo, mid) > 0) a = mid + 1;
      else b = mid;
    }
    return { leaf: lo, i: a };
  }

  /** First position whose key is > (v, s). */
  private upperBound(v: number, s: number): Pos {
    const p = this.lowerBound(v, s);
    if (p.i < this.lens[p.leaf]! && this.cmpAt(v, s, p.leaf, p.i) === 0) return this.next(p);
    return p;
  }

  private next(p: Pos): Pos {
    if (p.i + 1 < this.lens[p.leaf]! || p.leaf === this.leaves.length - 1) return { leaf: p.leaf, i: p.i + 1 };
    return { leaf: p.leaf + 1, i: 0 };
  }

  insert(slot: number): void {
    const v = this.k.key(slot);
    const s = this.k.tie(slot);
    let p: Pos;
    // Fast path: the newest task goes last.
    const lastLeaf = this.leaves.length - 1;
    const lastLen = this.lens[lastLeaf]!;
    if (lastLen === 0 || this.cmpAt(v, s, lastLeaf, lastLen - 1) > 0) p = { leaf: lastLeaf, i: lastLen };
    else p = this.lowerBound(v, s);
    if (this.lens[p.leaf] === LEAF_CAP) {
      this.split(p.leaf);
      if (p.i > LEAF_CAP / 2) p = { leaf: p.leaf + 1, i: p.i - LEAF_CAP / 2 };
    }
    const leaf = this.leaves[p.leaf]!;
    const keys = this.keys[p.leaf]!;
    const l = this.lens[p.leaf]!;
    if (p.i < l) {
      leaf.copyWithin(p.i + 1, p.i, l);
      keys.copyWithin(p.i + 1, p.i, l);
    }
    leaf[p.i] = slot;
    keys[p.i] = v;
    this.lens[p.leaf] = l + 1;
    this.counts[p.leaf]![this.k.state(slot)]!++;
    this.n++;
  }

  private split(at: number): void {
    const leaf = this.leaves[at]!;
    const half = LEAF_CAP / 2;
    const right = new Int32Array(LEAF_CAP);
    right.set(leaf.subarray(half, LEAF_CAP));
    const rightKeys = new Float64Array(LEAF_CAP);
    rightKeys.set(this.keys[at]!.subarray(half, LEAF_CAP));
    const rightCounts = new Int32Array(STATE_COUNT);
    for (let i = 0; i < half; i++) rightCounts[this.k.state(right[i]!)]!++;
    const leftCounts = this.counts[at]!;
    for (let s = 0; s < STATE_COUNT; s++) leftCounts[s]! -= rightCounts[s]!;
    this.lens[at] = half;
    this.leaves.splice(at + 1, 0, right);
    this.keys.splice(at + 1, 0, rightKeys);
    this.lens.splice(at + 1, 0, LEAF_CAP - half);
    this.counts.splice(at + 1, 0, rightCounts);
  }

  /** Where `slot` sits, found by its current key; null if it is not in the index. */
  private find(slot: number): Pos | null {
    const p = this.lowerBound(this.k.key(slot), this.k.tie(slot));
    return p.i < this.lens[p.leaf]! && this.leaves[p.leaf]![p.i] === slot ? p : null;
  }

  /** Removes `slot`; its key must be the one it was inserted with. */
  remove(slot: number): boolean {
    const p = this.find(slot);
    if (!p) return false;
    const leaf = this.leaves[p.leaf]!;
    const len = this.lens[p.leaf]!;
    leaf.copyWithin(p.i, p.i + 1, len);
    this.keys[p.leaf]!.copyWithin(p.i, p.i + 1, len);
    this.lens[p.leaf] = len - 1;
    this.counts[p.leaf]![this.k.state(slot)]!--;
    this.n--;
    if (len - 1 === 0 && this.leaves.length > 1) {
      this.leaves.splice(p.leaf, 1);
      this.keys.splice(p.leaf, 1);
      this.lens.splice(p.leaf, 1);
      this.counts.splice(p.leaf, 1);
    } else if (len - 1 < LEAF_CAP / 8 && p.leaf + 1 < this.leaves.length && this.lens[p.leaf + 1]! + len - 1 <= LEAF_CAP / 2) {
      this.merge(p.leaf);
    }
    return true;
  }

  /** Moves the right neighbour's slots into leaf `at` (keeps leaves from thinning out). */
  private merge(at: number): void {
    const left = this.leaves[at]!;
    const l = this.lens[at]!;
    const r = this.lens[at + 1]!;
    left.set(this.leaves[at + 1]!.subarray(0, r), l);
    this.keys[at]!.set(this.keys[at + 1]!.subarray(0, r), l);
    this.lens[at] = l + r;
    const lc = this.counts[at]!;
    const rc = this.counts[at + 1]!;
    for (let s = 0; s < STATE_COUNT; s++) lc[s]! += rc[s]!;
    this.leaves.splice(at + 1, 1);
    this.keys.splice(at + 1, 1);
    this.lens.splice(at + 1, 1);
    this.counts.splice(at + 1, 1);
  }

  /** A slot's state changed (its key did not): moves it between its leaf's state counts. */
  changeState(slot: number, from: number, to: number): void {
    const p = this.find(slot);
    if (!p) return;
    const c = this.counts[p.leaf]!;
    c[from]!--;
    c[to]!++;
  }

  /** Tasks per state with a key >= v. */
  countFrom(v: number): Int32Array {
    const out = new Int32Array(STATE_COUNT);
    const p = this.lowerBound(v, -Infinity);
    const leaf = this.leaves[p.leaf]!;
    for (let i = p.i; i < this.lens[p.leaf]!; i++) out[this.k.state(leaf[i]!)]!++;
    for (let l = p.leaf + 1; l < this.leaves.length; l++) {
      const c = this.counts[l]!;
      for (let s = 0; s < STATE_COUNT; s++) out[s]! += c[s]!;
    }
    return out;
  }

  /** How many slots have lo <= key <= hi. */
  countRange(lo: number, hi: number): number {
    return this.rank(this.upperBound(hi, Infinity)) - this.rank(this.lowerBound(lo, -Infinity));
  }

  private rank(p: Pos): number {
    let r = p.i;
    for (let l = 0; l < p.leaf; l++) r += this.lens[l]!;
    return r;
  }

  /**
   * Visits slots with lo <= key <= hi in ascending (dir 1) or descending (dir -1) order, starting
   * strictly after `after` (a (key, tie) position in that direction) when given.
   */
  walk(dir: 1 | -1, lo: number, hi: number, after: { v: number; s: number } | null, visit: Visit): void {
    const { leaves, lens } = this;
    if (dir === 1) {
      let p = this.lowerBound(lo, -Infinity);
      if (after) {
        const q = this.upperBound(after.v, after.s);
        if (before(p, q)) p = q;
      }
      for (let l = p.leaf, i = p.i; l < leaves.length; l++, i = 0) {
        const leaf = leaves[l]!;
        const keys = this.keys[l]!;
        const len = lens[l]!;
        for (; i < len; i++) {
          if (keys[i]! > hi) return;
          if (!visit(leaf[i]!)) return;
        }
      }
      return;
    }
    // Descending: from just before the first position past `hi` (or past `after`), backwards.
    let p = this.lowerBound(hi, Infinity);
    if (after) {
      const q = this.lowerBound(after.v, after.s);
      if (before(q, p)) p = q;
    }
    let l = p.leaf;
    let i = p.i - 1;
    while (l >= 0) {
      if (i < 0) {
        if (--l < 0) return;
        i = lens[l]! - 1;
        continue;
      }
      if (this.keys[l]![i]! < lo) return;
      if (!visit(leaves[l]![i]!)) return;
      i--;
    }
  }

  /** Every slot in ascending order (tests, debugging). */
  slots(): number[] {
    const out: number[] = [];
    this.leaves.forEach((leaf, l) => {
      for (let i = 0; i < this.lens[l]!; i++) out.push(leaf[i]!);
    });
    return out;
  }

  /** Checks the invariants (tests): sorted, counts right, sizes right. */
  check(): string | null {
    let prev: number | null = null;
    let total = 0;
    for (let l = 0; l < this.leaves.length; l++) {
      const c = new Int32Array(STATE_COUNT);
      if (this.lens[l] === 0 && this.leaves.length > 1) return `leaf ${l} is empty`;
      for (let i = 0; i < this.lens[l]!; i++) {
        const slot = this.leaves[l]![i]!;
        if (this.keys[l]![i] !== this.k.key(slot)) return `leaf ${l} index ${i}: stale key`;
        if (prev !== null && this.cmpAt(this.k.key(prev), this.k.tie(prev), l, i) >= 0) return `out of order at leaf ${l} index ${i}`;
        c[this.k.state(slot)]!++;
        prev = slot;
        total++;
      }
      for (let s = 0; s < STATE_COUNT; s++) if (c[s] !== this.counts[l]![s]) return `leaf ${l} counts state ${s}: ${this.counts[l]![s]} != ${c[s]}`;
    }
    return total === this.n ? null : `size ${this.n} != ${total}`;
  }
}

/** Positions are normalized (inside a leaf, or the very end), so they compare as (leaf, index). */
function before(a: Pos, b: Pos): boolean {
  return a.leaf < b.leaf || (a.leaf === b.leaf && a.i < b.i);
}
