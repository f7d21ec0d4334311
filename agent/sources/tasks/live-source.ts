/**
 * The in-memory store as a task source. Its search also matches arguments and results; for a
 * caller who may not see those, the search is narrowed to ids and names by walking the store's
 * matches in order and dropping the rest (the cursor returned is the store's, after the last task
 * kept): slower than a full search, which is the price of a limited token.
 */
import type { FoundTask, SourcePage, TaskListing, TaskSource } from "../task-source";
import { BadCursor } from "../task-source";
import { decodeCursor, type Cursor } from "./cursor";
import { matchesVisible, type TaskFilter, type TaskSort } from "./query";
import type { TaskRecord } from "./record";
import type { TaskStore } from "./store";

const SEARCH_STEP = 1000;

export class LiveTaskSource implements TaskSource {
  readonly kind = "live";

  constructor(private readonly store: TaskStore) {}

  async list(q: TaskListing): Promise<SourcePage> {
    const cursor = q.cursor === null ? null : decodeCursor(q.cursor);
    if (q.cursor !== null && !cursor) throw new BadCursor("not a cursor of the live store");
    const narrow = !q.searchPayloads && q.filter.q;
    const page = narrow ? this.searchVisibleFields(q.filter, q.sort, q.limit, cursor) : this.store.query(q.filter, q.sort, q.limit, cursor);
    return { tasks: page.tasks, total: page.total, nextCursor: page.nextCursor, servedBy: ["live"] };
  }

  async get(id: string): Promise<FoundTask | null> {
    const task = this.store.get(id);
    return task ? { task, servedBy: "live" } : null;
  }

  async countByStateSince(since: number): Promise<Record<string, number>> {
    return this.store.countByStateSince(since);
  }

  private searchVisibleFields(filter: TaskFilter, sort: TaskSort, limit: number, from: Cursor | null) {
    const q = filter.q!;
    const visible = (t: TaskRecord) => matchesVisible(t, q);
    const walk = (start: Cursor | null, each: (t: TaskRecord) => boolean) => {
      let cursor = start;
      for (;;) {
        const page = this.store.query(filter, sort, SEARCH_STEP, cursor);
        for (const t of page.tasks) if (!each(t)) return;
        if (!page.nextCursor) return;
        cursor = decodeCursor(page.nextCursor);
      }
    };
    let total = 0;
    walk(null, (t) => {
      if (visible(t)) total++;
      return true;
    });
    const tasks: TaskRecord[] = [];
    // How many of the store's matches lead up to the last task kept: the store's cursor after that many.
    let walked = 0;
    let more = false;
    walk(from, (t) => {
      if (!visible(t)) {
        walked++;
        return true;
      }
      if (tasks.length === limit) {
        more = true;
        return false;
      }
      tasks.push(t);
      walked++;
      return true;
    });
    const nextCursor = more ? this.cursorAfter(filter, sort, from, walked) : null;
    return { tasks, total, nextCursor };
  }

  private cursorAfter(filter: TaskFilter, sort: TaskSort, from: Cursor | null, n: number): string | null {
    let cursor = from;
    let next: string | null = null;
    for (let left = n; left > 0; left -= SEARCH_STEP) {
      next = this.store.query(filter, sort, Math.min(left, SEARCH_STEP), cursor).nextCursor;
      if (!next) return null;
      cursor = decodeCursor(next);
    }
    return next;
  }
}
