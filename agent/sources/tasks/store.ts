/**
 * Every task the agent holds, indexed by state, name, worker and queue, bounded by --max-tasks.
 * Queries take the smallest matching index, filter the rest in one pass, and keep only the page
 * they return (a bounded heap), so a page costs one pass over the candidates, never a full sort.
 */
import type { CeleryEvent } from "../../protocol/events";
import type { TaskMeta } from "../../protocol/result-meta";
import type { TaskState } from "../../api/schema";
import { applyEvent, applyMeta, isFinished, newRecord, receivedTime, type TaskRecord } from "./record";
import { matchesText, type TaskFilter, type TaskSort } from "./query";

type IndexName = "state" | "name" | "worker" | "queue" | "parent";

export interface TaskPage {
  tasks: TaskRecord[];
  total: number;
  nextCursor: string | null;
}

export class TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly indexes: Record<IndexName, Map<string, Set<TaskRecord>>> = {
    state: new Map(),
    name: new Map(),
    worker: new Map(),
    queue: new Map(),
    parent: new Map(),
  };
  /** Ids in order of first sight: eviction walks it from the oldest. */
  private order: string[] = [];
  private orderHead = 0;
  private seq = 0;
  private readonly listeners: ((t: TaskRecord) => void)[] = [];

  constructor(readonly maxTasks: number) {}

  get size(): number {
    return this.tasks.size;
  }

  get(id: string): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  onChange(l: (t: TaskRecord) => void): void {
    this.listeners.push(l);
  }

  applyEvent(e: CeleryEvent): TaskRecord | null {
    const id = e.fields.uuid;
    if (typeof id !== "string") return null;
    return this.update(id, e.receivedAt, (t) => applyEvent(t, e));
  }

  applyMeta(m: TaskMeta, notify = true): TaskRecord {
    return this.update(m.taskId, m.seenAt, (t) => applyMeta(t, m), notify);
  }

  private update(id: string, now: number, change: (t: TaskRecord) => void, notify = true): TaskRecord {
    let t = this.tasks.get(id);
    if (!t) {
      t = newRecord(id, ++this.seq, now);
      this.tasks.set(id, t);
      this.order.push(id);
    } else {
      this.unindex(t);
    }
    change(t);
    this.index(t);
    if (this.tasks.size > this.maxTasks) this.evict();
    if (notify) for (const l of this.listeners) l(t);
    return t;
  }

  private keysOf(t: TaskRecord): [IndexName, string | null][] {
    return [["state", t.state], ["name", t.name], ["worker", t.worker], ["queue", t.queue], ["parent", t.parentId]];
  }

  private index(t: TaskRecord): void {
    for (const [idx, key] of this.keysOf(t)) {
      if (key === null) continue;
      const m = this.indexes[idx];
      let set = m.get(key);
      if (!set) m.set(key, (set = new Set()));
      set.add(t);
    }
  }

  private unindex(t: TaskRecord): void {
    for (const [idx, key] of this.keysOf(t)) {
      if (key === null) continue;
      const set = this.indexes[idx].get(key);
      set?.delete(t);
      if (set && set.size === 0) this.indexes[idx].delete(key);
    }
  }

  /**
   * Drops the oldest finished tasks first. Unfinished tasks met on the way move to the back of the
   * line (each is passed over once per round, so this stays cheap); if a whole round finds nothing
   * finished, the oldest go anyway: the bound holds.
   */
  private evict(): void {
    let excess = this.tasks.size - this.maxTasks;
    let passes = this.order.length - this.orderHead;
    while (excess > 0 && this.orderHead < this.order.length) {
      const id = this.order[this.orderHead++]!;
      const t = this.tasks.get(id);
      if (!t) continue;
      if (isFinished(t) || passes-- <= 0) {
        this.remove(t);
        excess--;
      } else this.order.push(id);
    }
    // Compact the order list once its consumed head dominates it.
    if (this.orderHead > 1024 && this.orderHead > this.order.length / 2) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private remove(t: TaskRecord): void {
    this.unindex(t);
    this.tasks.delete(t.id);
  }

  /** Distinct values of an index, with counts (for filter pickers). */
  facet(idx: IndexName): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, set] of this.indexes[idx]) out.set(k, set.size);
    return out;
  }

  countByState(): Map<TaskState, number> {
    return this.facet("state") as Map<TaskState, number>;
  }

  all(): IterableIterator<TaskRecord> {
    return this.tasks.values();
  }

  /** Ids of the tasks that name `id` as their parent. */
  childrenOf(id: string): string[] {
    return [...(this.indexes.parent.get(id) ?? [])].map((t) => t.id);
  }

  /** Tasks in a given state (the index, not a scan). */
  inState(state: TaskState): ReadonlySet<TaskRecord> {
    return this.indexes.state.get(state) ?? new Set();
  }

  query(filter: TaskFilter, sort: TaskSort, limit: number, cursor: Cursor | null): TaskPage {
    const candidates = this.candidates(filter);
    const key = sortKey(sort.by);
    const dir = sort.order === "desc" ? -1 : 1;
    // compare(a, b) < 0 when a comes first in the listing.
    const cmp = (av: number, as: number, bv: number, bs: number) => (av !== bv ? (av < bv ? -1 : 1) * dir : (as - bs) * dir);
    const heap: { v: number; t: TaskRecord }[] = []; // the page so far, kept sorted (limit is small)
    let total = 0;
    for (const t of candidates) {
      if (!matches(t, filter)) continue;
      total++;
      const v = key(t);
      if (cursor && cmp(v, t.seq, cursor.v, cursor.seq) <= 0) continue;
      if (heap.length === limit + 1) {
        const last = heap[limit]!;
        if (cmp(v, t.seq, last.v, last.t.seq) >= 0) continue;
        heap.pop();
      }
      let i = heap.length;
      while (i > 0 && cmp(v, t.seq, heap[i - 1]!.v, heap[i - 1]!.t.seq) < 0) i--;
      heap.splice(i, 0, { v, t });
    }
    const page = heap.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = heap.length > limit && last ? encodeCursor({ v: last.v, seq: last.t.seq }) : null;
    return { tasks: page.map((x) => x.t), total, nextCursor };
  }

  private candidates(f: TaskFilter): Iterable<TaskRecord> {
    const sets: ReadonlySet<TaskRecord>[] = [];
    if (f.states) sets.push(unionOf(f.states.map((s) => this.indexes.state.get(s))));
    if (f.name !== undefined) sets.push(this.indexes.name.get(f.name) ?? new Set());
    if (f.worker !== undefined) sets.push(this.indexes.worker.get(f.worker) ?? new Set());
    if (f.queue !== undefined) sets.push(this.indexes.queue.get(f.queue) ?? new Set());
    if (!sets.length) return this.tasks.values();
    return sets.reduce((a, b) => (b.size < a.size ? b : a));
  }
}

function unionOf(sets: (Set<TaskRecord> | undefined)[]): ReadonlySet<TaskRecord> {
  const present = sets.filter((s): s is Set<TaskRecord> => !!s);
  if (present.length === 1) return present[0]!;
  const out = new Set<TaskRecord>();
  for (const s of present) for (const t of s) out.add(t);
  return out;
}

function matches(t: TaskRecord, f: TaskFilter): boolean {
  if (f.states && !f.states.includes(t.state)) return false;
  if (f.name !== undefined && t.name !== f.name) return false;
  if (f.worker !== undefined && t.worker !== f.worker) return false;
  if (f.queue !== undefined && t.queue !== f.queue) return false;
  if (f.since !== undefined || f.until !== undefined) {
    const r = receivedTime(t);
    if (f.since !== undefined && r < f.since) return false;
    if (f.until !== undefined && r > f.until) return false;
  }
  if (f.q && !matchesText(t, f.q)) return false;
  return true;
}

function sortKey(by: TaskSort["by"]): (t: TaskRecord) => number {
  // Missing values sort as the oldest/smallest, so unfinished tasks trail a "finished" listing.
  switch (by) {
    case "received":
      return receivedTime;
    case "started":
      return (t) => t.started ?? -Infinity;
    case "finished":
      return (t) => t.finished ?? -Infinity;
    case "runtime":
      return (t) => t.runtime ?? -Infinity;
  }
}

export interface Cursor {
  v: number;
  seq: number;
}

export function encodeCursor(c: Cursor): string {
  const v = Number.isFinite(c.v) ? c.v : c.v > 0 ? "inf" : "-inf";
  return Buffer.from(JSON.stringify([v, c.seq])).toString("base64url");
}

export function decodeCursor(s: string): Cursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== "number") return null;
    const x = v[0] === "inf" ? Infinity : v[0] === "-inf" ? -Infinity : v[0];
    return typeof x === "number" ? { v: x, seq: v[1] } : null;
  } catch {
    return null;
  }
}
