/**
 * The durable task history, running: opens its store (sources/history/: the SQLite file, or
 * PostgreSQL with --history), has the task store's changes written to it (writer.ts), recalls a
 * task it knows when the store sees it again (SQLite), and applies retention. Not to be confused
 * with backend-history.ts (the result backend's records, read into the store).
 *
 * When the file cannot be opened (the data directory cannot be created or written, a newer schema)
 * the agent runs on without it: `health.history` says it is off and why, the live views are served.
 * PostgreSQL is connected in the background: while it is away health says failed and why, and
 * the writer keeps the changed ids until it is back.
 */
import { log } from "../base/log";
import type { HistorySettings } from "../sources/history/settings";
import { HistoryDb } from "../sources/history/database";
import { PostgresHistoryStore } from "../sources/history/postgres/store";
import { type HistoryStore, SqliteHistoryStore } from "../sources/history/store";
import { HistoryWriter } from "../sources/history/writer";
import { Retention } from "../sources/history/retention";
import { HistoryTaskSource } from "../sources/history/history-source";
import type { TaskStore } from "../sources/tasks/store";
import type { TaskRecord } from "../sources/tasks/record";

/** How often changed tasks are written: a SIGKILL loses at most this much (and one flush's time). */
export const FLUSH_INTERVAL_MS = 300;

export type HistoryHealth = {
  state: "on" | "off" | "failed";
  /** Where: the SQLite file, or the PostgreSQL URL (password masked). */
  path: string | null;
  backend: "sqlite" | "postgres" | null;
  /** Said beside the state (PostgreSQL without pg_trgm: search scans). */
  notice: string | null;
  /** Why it is off or failing (the last write's error while on). */
  error: string | null;
  tasks: number | null;
  written: number;
  /** Transactions written: one more means everything changed before it began is on disk. */
  flushes: number;
  pending: number;
  retained_deleted: number;
};

/**
 * What the backfills (backend-history.ts, history-backfill.ts) give the history at its first start:
 * where each source's backfill stopped (the history's meta table), and the tasks to keep.
 */
export interface HistoryImport {
  /** Where `source`'s last backfill into this history stopped; null: never backfilled into it. */
  marker(source: string): string | null;
  setMarker(source: string, value: string): void;
  /** Room left under --retain-max-rows (0 when the history is off). */
  room(): number;
  /**
   * Writes the tasks the store does not hold (the writer writes those) and the history does not
   * have yet, received within --retain and as many as --retain-max-rows leaves room for; returns
   * how many were written.
   */
  keep(records: TaskRecord[]): number;
}

export class DurableHistory implements HistoryImport {
  private db: HistoryStore | null = null;
  /** The task count health shows, read in the background for PostgreSQL (health is synchronous). */
  private knownRows: number | null = null;
  private writer: HistoryWriter | null = null;
  private retention: Retention | null = null;
  private openError: string | null = null;
  /** The history as a task source (null when off). */
  source: HistoryTaskSource | null = null;

  constructor(
    private readonly settings: HistorySettings | null,
    private readonly tasks: TaskStore,
    private readonly payloads: boolean,
    /** What `health()` says changed: writes began failing or succeed again. */
    private readonly healthChanged: () => void = () => undefined,
  ) {}

  get path(): string | null {
    return this.settings?.path ?? null;
  }

  start(): void {
    const s = this.settings;
    if (!s) return;
    try {
      this.db = s.postgres ? new PostgresHistoryStore(s.postgres) : new SqliteHistoryStore(new HistoryDb(s.path));
    } catch (e) {
      this.openError = `cannot open ${s.path}: ${(e as Error).message}`;
      log("history.off", `task history off: ${this.openError}; tasks are kept in memory only`, { path: s.path }, "error");
      return;
    }
    const db = this.db;
    this.writer = new HistoryWriter(
      db,
      (id) => this.tasks.get(id),
      { payloads: this.payloads, intervalMs: FLUSH_INTERVAL_MS },
      (error) => {
        if (error) log("history.write_failed", `task history not written: ${error}; changes kept in memory until writes succeed`, { path: s.path }, "error");
        else log("history.write_resumed", "task history written again", { path: s.path });
        this.healthChanged();
      },
    );
    this.tasks.onWrite((id) => this.writer!.changed(id));
    this.tasks.recall = (id) => {
      try {
        return db.recall(id);
      } catch {
        return null;
      }
    };
    this.source = new HistoryTaskSource(db, (id) => this.tasks.holds(id));
    this.writer.start();
    // Often enough for a short --retain (tests use seconds), and every 5 s for the row limit (a
    // pass with nothing to delete is two index lookups).
    this.retention = new Retention(
      db,
      { retainMs: s.retainMs, retainFailuresMs: s.retainFailuresMs, maxRows: s.retainMaxRows },
      Math.min(5000, Math.max(250, Math.min(s.retainMs, s.retainFailuresMs) / 4)),
    );
    this.retention.start();
    const redact = this.payloads ? "" : ", payloads not stored: --redact";
    if (db instanceof PostgresHistoryStore) {
      db.ready().then(
        () => {
          log("history.on", `task history in ${s.path}${redact}`, { path: s.path });
          const notice = db.notice();
          if (notice) log("history.search", `task history: ${notice}`, { path: s.path }, "warn");
        },
        (e) => log("history.failed", `task history: ${(e as Error).message}; tasks are kept in memory until it is back`, { path: s.path }, "error"),
      );
    } else {
      void db.rows().then((n) => log("history.on", `task history in ${s.path} (${n} tasks${redact})`, { path: s.path, tasks: n }));
    }
  }

  /**
   * The backfills write into the SQLite file only: the PostgreSQL history, shared by agents and
   * written asynchronously, starts with what this agent learns (a backfill into it: not yet).
   */
  private sqlite(): HistoryDb | null {
    return this.db instanceof SqliteHistoryStore ? this.db.db : null;
  }

  marker(source: string): string | null {
    try {
      return this.sqlite()?.meta(`backfill ${source}`) ?? null;
    } catch {
      return null;
    }
  }

  setMarker(source: string, value: string): void {
    try {
      this.sqlite()?.setMeta(`backfill ${source}`, value);
    } catch (e) {
      log("history.meta_failed", `task history: could not record the backfill of ${source}: ${(e as Error).message}`, {}, "warn");
    }
  }

  room(): number {
    const db = this.sqlite();
    if (!db || !this.settings) return 0;
    return Math.max(0, this.settings.retainMaxRows - db.rows());
  }

  keep(records: TaskRecord[]): number {
    const db = this.sqlite();
    if (!db || !this.settings || !records.length) return 0;
    const cutoff = Date.now() - this.settings.retainMs;
    const fresh = records.filter((t) => !this.tasks.holds(t.id) && (t.finished ?? t.received ?? t.firstSeen) >= cutoff);
    const held = db.holding(fresh.map((t) => t.id));
    const kept = fresh.filter((t) => !held.has(t.id)).slice(0, this.room());
    try {
      return kept.length ? db.write(kept, { payloads: this.payloads }) : 0;
    } catch (e) {
      log("history.backfill_failed", `task history: backfilled tasks not written: ${(e as Error).message}`, {}, "warn");
      return 0;
    }
  }

  /** Writes what is pending and closes the store. */
  async stop(): Promise<void> {
    this.retention?.stop();
    await this.writer?.stop();
    await this.retention?.drain();
    await this.db?.close();
    this.db = null;
  }

  health(): HistoryHealth {
    const w = this.writer?.stats;
    const base = {
      path: this.path,
      backend: this.settings ? (this.settings.postgres ? ("postgres" as const) : ("sqlite" as const)) : null,
      notice: this.db?.notice() ?? null,
      written: w?.written ?? 0,
      flushes: w?.flushes ?? 0,
      pending: this.writer?.pending ?? 0,
      retained_deleted: this.retention?.deleted ?? 0,
    };
    if (!this.settings) return { ...base, state: "off", error: "--no-history", tasks: null };
    if (!this.db) return { ...base, state: "failed", error: this.openError, tasks: null };
    if (this.db instanceof SqliteHistoryStore) {
      try {
        this.knownRows = this.db.db.rows();
      } catch {
        /* reported through the writer's error */
      }
    } else {
      // A count over the server: read for the next ask (health answers at once); a failure is reported below.
      this.db.rows().then(
        (n) => {
          this.knownRows = n;
        },
        () => undefined,
      );
    }
    const failure = this.db instanceof PostgresHistoryStore ? this.db.failure() : null;
    const error = w?.lastError ?? failure ?? this.retention?.lastError ?? null;
    return { ...base, state: error ? "failed" : "on", error, tasks: this.knownRows };
  }
}
