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

export class DurableHistory {
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
    this.writer = new HistoryWriter(db, (id) => this.tasks.get(id), { payloads: this.payloads, intervalMs: FLUSH_INTERVAL_MS });
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
    this.retention = new Retention(db, { retainMs: s.retainMs, maxRows: s.retainMaxRows }, Math.min(5000, Math.max(250, s.retainMs / 4)));
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
