/**
 * The seam between the history's users (writer, retention, task source, durable-history) and where
 * it is kept: the SQLite file (database.ts, history-pages.ts, synchronous: its calls return plain
 * values, so the writer's path stays as fast as before) or PostgreSQL (postgres/, asynchronous).
 * Both list with the same filters, sorts, search and keyset positions.
 */
import type { TaskFilter } from "../tasks/query";
import type { TaskRecord } from "../tasks/record";
import type { HistoryDb } from "./database";
import { historyCountsSince, historyPage, historyTotal, type HistoryCount, type HistoryListQuery, type HistoryPage } from "./history-pages";
import { planSearch, type SearchPlan } from "./search-plan";
import { type RetentionLimits, retentionStep } from "./retention";

export type HistoryBackendKind = "sqlite" | "postgres";

export interface HistoryStore {
  readonly kind: HistoryBackendKind;
  /** Where the history is, for health, logs and the source line (no password). */
  readonly location: string;
  /** Said in health beside the state (e.g. search scans: pg_trgm missing); null when nothing to say. */
  notice(): string | null;
  /** Upserts the records (merged by state precedence where the store is shared); returns how many. */
  write(records: TaskRecord[], opts: { payloads: boolean }): number | Promise<number>;
  get(id: string): Promise<TaskRecord | null>;
  /** The task `id` at once, when the store can say without waiting (SQLite); null otherwise. */
  recall(id: string): TaskRecord | null;
  rows(): Promise<number>;
  page(q: HistoryListQuery): Promise<HistoryPage>;
  total(filter: TaskFilter, searchPayloads: boolean): Promise<HistoryCount>;
  countsSince(since: number): Promise<Record<string, number>>;
  /** One retention step (a few milliseconds); returns how many tasks went. */
  retentionStep(limits: RetentionLimits, now: number): number | Promise<number>;
  close(): Promise<void>;
}

export class SqliteHistoryStore implements HistoryStore {
  readonly kind = "sqlite";
  readonly location: string;

  constructor(readonly db: HistoryDb) {
    this.location = db.path;
  }

  notice(): null {
    return null;
  }

  write(records: TaskRecord[], opts: { payloads: boolean }): number {
    return this.db.write(records, opts);
  }

  async get(id: string): Promise<TaskRecord | null> {
    return this.db.get(id);
  }

  recall(id: string): TaskRecord | null {
    return this.db.get(id);
  }

  async rows(): Promise<number> {
    return this.db.rows();
  }

  async page(q: HistoryListQuery): Promise<HistoryPage> {
    return historyPage(this.db, { ...q, search: this.plan(q.filter.q, q.searchPayloads) });
  }

  async total(filter: TaskFilter, searchPayloads: boolean): Promise<HistoryCount> {
    return historyTotal(this.db, filter, this.plan(filter.q, searchPayloads), searchPayloads);
  }

  /** A list asks for its total, then its page: one plan serves both (kept a second). */
  private lastPlan: { key: string; at: number; plan: SearchPlan } | null = null;

  private plan(q: string | undefined, payloads: boolean): SearchPlan {
    const key = `${payloads ? 1 : 0}${q ?? ""}`;
    const now = Date.now();
    if (this.lastPlan?.key === key && now - this.lastPlan.at < 1000) return this.lastPlan.plan;
    const plan = planSearch(this.db, q, payloads);
    this.lastPlan = { key, at: now, plan };
    return plan;
  }

  async countsSince(since: number): Promise<Record<string, number>> {
    return historyCountsSince(this.db, since);
  }

  retentionStep(limits: RetentionLimits, now: number): number {
    return retentionStep(this.db, limits, now);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
