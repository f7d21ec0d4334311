/**
 * Writes what the live store learns into the history: the store says which task changed (every
 * change, the backfill's too), the writer keeps the ids, and every `intervalMs` writes each one's
 * merged record, as the store holds it then, in one transaction. A task that changes ten times
 * between two flushes is written once; a SIGKILL loses at most the changes since the last flush.
 *
 * A flush that fails (disk full, file gone) keeps its ids for the next one and says why in
 * `lastError`; ingest and the live views go on. Tasks known only from a message waiting in a queue
 * are not written (they did not run yet; the queue read says so again next time).
 */
import type { TaskRecord } from "../tasks/record";
import type { HistoryDb } from "./database";

/** At most this many tasks per transaction, so one flush never holds the event loop long. */
const MAX_PER_FLUSH = 20_000;
/** Ids kept for a retry while writes fail; beyond this the oldest changes are given up (counted). */
const MAX_PENDING = 2_000_000;

export interface WriterStats {
  written: number;
  flushes: number;
  dropped: number;
  lastFlushAt: number | null;
  lastError: string | null;
}

export class HistoryWriter {
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  readonly stats: WriterStats = { written: 0, flushes: 0, dropped: 0, lastFlushAt: null, lastError: null };

  constructor(
    private readonly db: HistoryDb,
    private readonly read: (id: string) => TaskRecord | undefined,
    private readonly opts: { payloads: boolean; intervalMs: number },
  ) {}

  /** The task `id` changed: written at the next flush. */
  changed(id: string): void {
    this.dirty.add(id);
  }

  get pending(): number {
    return this.dirty.size;
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Writes the changed tasks (up to MAX_PER_FLUSH); returns how many were written. */
  flush(): number {
    if (this.dirty.size === 0) {
      this.stats.flushes++;
      return 0;
    }
    const ids: string[] = [];
    for (const id of this.dirty) {
      ids.push(id);
      if (ids.length === MAX_PER_FLUSH) break;
    }
    for (const id of ids) this.dirty.delete(id);
    const records: TaskRecord[] = [];
    for (const id of ids) {
      const t = this.read(id);
      if (t && (t.fromEvents || t.fromBackend)) records.push(t);
    }
    try {
      const n = this.db.write(records, { payloads: this.opts.payloads });
      this.stats.written += n;
      this.stats.flushes++;
      this.stats.lastFlushAt = Date.now();
      this.stats.lastError = null;
      return n;
    } catch (e) {
      this.stats.lastError = (e as Error).message;
      for (const id of ids) this.dirty.add(id);
      if (this.dirty.size > MAX_PENDING) this.giveUp(this.dirty.size - MAX_PENDING);
      return 0;
    }
  }

  private giveUp(n: number): void {
    for (const id of this.dirty) {
      if (n-- <= 0) break;
      this.dirty.delete(id);
      this.stats.dropped++;
    }
  }

  /** Stops the timer and writes what is left. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.dirty.size > 0) {
      this.flush();
      if (this.stats.lastError !== null) break;
    }
  }
}
