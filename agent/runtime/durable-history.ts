/**
 * The durable task history, running: opens the database file (sources/history/), has the task
 * store's changes written to it (writer.ts), recalls a task it knows when the store sees it again,
 * and applies retention. Not to be confused with backend-history.ts (the result backend's records,
 * read into the store).
 *
 * When the file cannot be opened (the data directory cannot be created or written, a newer schema)
 * the agent runs on without it: `health.history` says it is off and why, the live views are served.
 */
import { log } from "../base/log";
import type { HistorySettings } from "../sources/history/settings";
import { HistoryDb } from "../sources/history/database";
import { HistoryWriter } from "../sources/history/writer";
import { Retention } from "../sources/history/retention";
import { HistoryTaskSource } from "../sources/history/history-source";
import type { TaskStore } from "../sources/tasks/store";
import type { TaskRecord } from "../sources/tasks/record";

/** How often changed tasks are written: a SIGKILL loses at most this much (and one flush's time). */
export const FLUSH_INTERVAL_MS = 300;

export type HistoryHealth = {
  state: "on" | "off" | "failed";
  path: string | null;
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
  private db: HistoryDb | null = null;
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
      this.db = new HistoryDb(s.path);
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
        return db.get(id);
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
    log("history.on", `task history in ${s.path} (${db.rows()} tasks${this.payloads ? "" : ", payloads not stored: --redact"})`, {
      path: s.path,
      tasks: db.rows(),
    });
  }

  marker(source: string): string | null {
    try {
      return this.db?.meta(`backfill ${source}`) ?? null;
    } catch {
      return null;
    }
  }

  setMarker(source: string, value: string): void {
    try {
      this.db?.setMeta(`backfill ${source}`, value);
    } catch (e) {
      log("history.meta_failed", `task history: could not record the backfill of ${source}: ${(e as Error).message}`, {}, "warn");
    }
  }

  room(): number {
    if (!this.db || !this.settings) return 0;
    return Math.max(0, this.settings.retainMaxRows - this.db.rows());
  }

  keep(records: TaskRecord[]): number {
    const db = this.db;
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

  /** Writes what is pending and closes the file. */
  stop(): void {
    this.retention?.stop();
    this.writer?.stop();
    this.retention?.drain();
    this.db?.close();
    this.db = null;
  }

  health(): HistoryHealth {
    const w = this.writer?.stats;
    const base = {
      path: this.path,
      written: w?.written ?? 0,
      flushes: w?.flushes ?? 0,
      pending: this.writer?.pending ?? 0,
      retained_deleted: this.retention?.deleted ?? 0,
    };
    if (!this.settings) return { ...base, state: "off", error: "--no-history", tasks: null };
    if (!this.db) return { ...base, state: "failed", error: this.openError, tasks: null };
    let tasks: number | null = null;
    try {
      tasks = this.db.rows();
    } catch {
      /* reported through the writer's error */
    }
    const error = w?.lastError ?? this.retention?.lastError ?? null;
    return { ...base, state: error ? "failed" : "on", error, tasks };
  }
}
