/**
 * A task listing (filters, sort, cursor, limit) answered over the columns without unpacking a
 * record: the filter becomes a Matcher of column tests (symbol ids, a state mask, a time range, the
 * search's hit marks), the total comes from an index's count when one filter is set, and the page is
 * found by walking the received-time index (the default sort, stopping once full), by sorting the
 * search's matches when they are few, or by one scan keeping the best limit + 1 (other sorts).
 */
import type { SortOrder } from "../../api/schema/enums";
import type { TaskFilter, TaskSort } from "./query";
import { STATE_COUNT } from "./order-index";
import { EMPTY, type Columns } from "./columns";
import { encodeCursor, type Cursor } from "./cursor";
import type { TaskIndexes } from "./indexes";
import { findText, type SearchedParts } from "./text-search";
import { ALL_STATES, STATE_CODE, type TaskSlots } from "./slots";

/** Up to this many search matches are sorted directly rather than found by walking the order index. */
const FEW = 4096;

/** A page as slots; the store turns them into records. */
export interface SlotPage {
  slots: number[];
  total: number;
  nextCursor: string | null;
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

/** Up to limit + 1 slots in listing order (one more tells there is a next page). */
interface Candidates {
  slots: number[];
  total: number;
  keyOf: (s: number) => number;
}

export class QueryPlanner {
  private readonly c: Columns;
  private readonly slots: TaskSlots;

  constructor(
    private readonly indexes: TaskIndexes,
    private readonly searched: SearchedParts,
  ) {
    this.slots = searched.slots;
    this.c = searched.slots.c;
  }

  query(filter: TaskFilter, sort: TaskSort, limit: number, cursor: Cursor | null): SlotPage {
    const m = this.matcher(filter);
    if (!m) return { slots: [], total: 0, nextCursor: null };
    const page = sort.by === "received" ? this.pageByReceived(m, sort.order, limit, cursor) : this.pageByScan(m, sort, limit, cursor);
    const slots = page.slots.slice(0, limit);
    const last = slots[slots.length - 1];
    const nextCursor = page.slots.length > limit && last !== undefined ? encodeCursor({ v: page.keyOf(last), seq: this.c.seq[last]! }) : null;
    return { slots, total: page.total, nextCursor };
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
      const id = this.slots.syms[key].idOf(v);
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
      const hits = new Uint8Array(this.slots.nextSlot);
      m.hitCount = findText(f.q, hits, this.searched);
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
    if (m.dims === 0) return this.slots.count;
    if (m.dims > 1) return null;
    if (m.states !== ALL_STATES) {
      const counts = this.indexes.stateCounts;
      let n = 0;
      for (let s = 0; s < STATE_COUNT; s++) if (m.states & (1 << s)) n += counts[s]!;
      return n;
    }
    const syms = this.slots.syms;
    if (m.name) return syms.name.count(m.name);
    if (m.worker) return syms.worker.count(m.worker);
    if (m.queue) return syms.queue.count(m.queue);
    if (m.hits) return m.hitCount;
    return this.indexes.countRange(m.since, m.until);
  }

  /** Counts the matches with one pass over the columns. */
  private countMatches(m: Matcher): number {
    const { state, name, worker, queue, recv } = this.c;
    const hits = m.hits;
    const end = this.slots.nextSlot;
    let n = 0;
    for (let slot = 0; slot < end; slot++) {
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
  private pageByReceived(m: Matcher, order: SortOrder, limit: number, cursor: Cursor | null): Candidates {
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
      this.indexes.walk(dir, m.since, m.until, cursor ? { v: cursor.v, s: cursor.seq } : null, (slot) => {
        if (!this.test(m, slot)) return true;
        slots.push(slot);
        // Without a cursor every match is ahead: stop when they are all found.
        return slots.length <= limit && (cursor !== null || --left > 0);
      });
    }
    return { slots, total, keyOf };
  }

  /** Other sorts: one pass over the columns, keeping the best limit + 1 (no index for these). */
  private pageByScan(m: Matcher, sort: TaskSort, limit: number, cursor: Cursor | null): Candidates {
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
    const end = this.slots.nextSlot;
    if (dir === -1) for (let slot = end - 1; slot >= 0; slot--) visit(slot);
    else for (let slot = 0; slot < end; slot++) visit(slot);
    return { slots: best, total, keyOf };
  }
}
