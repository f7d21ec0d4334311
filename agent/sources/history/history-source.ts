/**
 * The durable history as a task source. `held` names the tasks another source lists (the live
 * store's): a page leaves them out, so the two chained never list a task twice.
 */
import type { FoundTask, SourcePage, TaskListing, TaskSource } from "../task-source";
import { BadCursor } from "../task-source";
import type { HistoryDb } from "./database";
import { planSearch } from "./search-plan";
import { historyCountsSince, historyPage, historyTotal, type HistoryPosition } from "./history-pages";

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

  constructor(
    private readonly db: HistoryDb,
    private readonly held: (id: string) => boolean = () => false,
  ) {}

  async list(q: TaskListing): Promise<SourcePage> {
    const after = q.cursor === null ? null : decodePosition(q.cursor);
    if (q.cursor !== null && !after) throw new BadCursor("not a cursor of the task history");
    const search = planSearch(this.db, q.filter.q, q.searchPayloads);
    const { total, atLeast } = historyTotal(this.db, q.filter, search, q.searchPayloads);
    const counted = { total, ...(atLeast ? { totalAtLeast: true } : {}) };
    if (q.limit === 0) return { tasks: [], ...counted, nextCursor: null, servedBy: [] };
    const page = historyPage(this.db, { filter: q.filter, sort: q.sort, limit: q.limit, after, searchPayloads: q.searchPayloads, skip: this.held, search });
    return { tasks: page.tasks, ...counted, nextCursor: page.next ? encodePosition(page.next) : null, servedBy: page.tasks.length ? ["history"] : [] };
  }

  async get(id: string): Promise<FoundTask | null> {
    const task = this.db.get(id);
    return task ? { task, servedBy: "history" } : null;
  }

  /** Per state since `since`, rounded to the minute so the overview's repeated asks share one count. */
  async countByStateSince(since: number): Promise<Record<string, number>> {
    const key = Math.floor(since / 60_000);
    const held = this.counts.get(key);
    if (held && Date.now() - held.at < COUNTS_FRESH_MS) return held.value;
    const value = historyCountsSince(this.db, key * 60_000);
    if (this.counts.size > 8) this.counts.clear();
    this.counts.set(key, { at: Date.now(), value });
    return value;
  }
}
