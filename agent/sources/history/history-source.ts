/**
 * The durable history as a task source, over either store (store.ts). `held` names the tasks
 * another source lists (the live store's): a page leaves them out, so the two chained never list a
 * task twice. A store that cannot be reached (PostgreSQL down) lists nothing rather than failing
 * the chained list: the live tasks are still served, and health says why.
 */
import type { FoundTask, SourcePage, TaskListing, TaskSource } from "../task-source";
import { BadCursor } from "../task-source";
import { HistoryDb } from "./database";
import type { HistoryPosition } from "./history-pages";
import { type HistoryStore, SqliteHistoryStore } from "./store";

/** The overview asks every few seconds; counting a day of history is not free. */
const COUNTS_FRESH_MS = 10_000;

export function encodePosition(p: HistoryPosition): string {
  return Buffer.from(JSON.stringify([p.v, p.rid])).toString("base64url");
}

export function decodePosition(s: string): HistoryPosition | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) return null;
    return { v: v[0], rid: v[1] };
  } catch {
    return null;
  }
}

export class HistoryTaskSource implements TaskSource {
  readonly kind = "history";
  private counts = new Map<number, { at: number; value: Record<string, number> }>();
  private readonly store: HistoryStore;

  constructor(
    store: HistoryStore | HistoryDb,
    private readonly held: (id: string) => boolean = () => false,
  ) {
    this.store = store instanceof HistoryDb ? new SqliteHistoryStore(store) : store;
  }

  /** SQLite's errors are the agent's own (thrown); a shared server's are its being away (nothing listed). */
  private unreachable(e: unknown): boolean {
    return this.store.kind === "postgres" && !(e instanceof BadCursor);
  }

  async list(q: TaskListing): Promise<SourcePage> {
    const after = q.cursor === null ? null : decodePosition(q.cursor);
    if (q.cursor !== null && !after) throw new BadCursor("not a cursor of the task history");
    try {
      const { total, atLeast } = await this.store.total(q.filter, q.searchPayloads);
      const counted = { total, ...(atLeast ? { totalAtLeast: true } : {}) };
      if (q.limit === 0) return { tasks: [], ...counted, nextCursor: null, servedBy: [] };
      const page = await this.store.page({ filter: q.filter, sort: q.sort, limit: q.limit, after, searchPayloads: q.searchPayloads, skip: this.held });
      return { tasks: page.tasks, ...counted, nextCursor: page.next ? encodePosition(page.next) : null, servedBy: page.tasks.length ? ["history"] : [] };
    } catch (e) {
      if (this.unreachable(e)) return { tasks: [], total: 0, nextCursor: null, servedBy: [] };
      throw e;
    }
  }

  async get(id: string): Promise<FoundTask | null> {
    try {
      const task = await this.store.get(id);
      return task ? { task, servedBy: "history" } : null;
    } catch (e) {
      if (this.unreachable(e)) return null;
      throw e;
    }
  }

  /** Per state since `since`, rounded to the minute so the overview's repeated asks share one count. */
  async countByStateSince(since: number): Promise<Record<string, number>> {
    const key = Math.floor(since / 60_000);
    const held = this.counts.get(key);
    if (held && Date.now() - held.at < COUNTS_FRESH_MS) return held.value;
    let value: Record<string, number>;
    try {
      value = await this.store.countsSince(key * 60_000);
    } catch (e) {
      if (this.unreachable(e)) return {};
      throw e;
    }
    if (this.counts.size > 8) this.counts.clear();
    this.counts.set(key, { at: Date.now(), value });
    return value;
  }
}
