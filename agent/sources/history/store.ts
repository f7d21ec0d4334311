/**
 * The seam between the history's users (writer, retention, task source, durable-history) and where
 * it is kept: the SQLite file (database.ts, history-pages.ts, synchronous: its calls return plain
 * values, so the writer's path stays as fast as before) or PostgreSQL (postgres/, asynchronous).
 * Both list with the same filters, sorts, search and keyset positions.
 */
import type { TaskFilter } from "../tasks/query";
import type { TaskRecord } from "../tasks/record";
import type { HistoryDb } from "./database";
import { historyCountsSince, historyPage, historyTotal, type HistoryPage, type HistoryPageQuery } from "./history-pages";
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
  page(q: HistoryPageQuery): Promise<HistoryPage>;
  total(filter: TaskFilter, searchPayloads: boolean): Promise<number>;
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

  async page(q: HistoryPageQuery): Promise<HistoryPage> {
    return historyPage(this.db, q);
  }

  async total(filter: TaskFilter, searchPayloads: boolean): Promise<number> {
    return historyTotal(this.db, filter, searchPayloads);
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
