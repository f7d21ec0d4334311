/**
 * Writes what the live store learns into the history: the store says which task changed (every
 * change, the backfill's too), the writer keeps the ids, and every `intervalMs` writes each one's
 * merged record, as the store holds it then, in transactions of a few hundred. A task that
 * changes ten times between two flushes is written once; a SIGKILL loses at most the changes since
 * the last flush. A flush gives the event loop back after FLUSH_BUDGET_MS and goes on at once
 * after (a backfill of a hundred thousand tasks is written without holding requests up).
 *
 * A flush that fails (disk full, file gone) keeps its ids for the next one and says why in
 * `lastError`; ingest and the live views go on. Tasks known only from a message waiting in a queue
 * are not written (they did not run yet; the queue read says so again next time).
 *
 * A store that writes asynchronously (PostgreSQL) has one chunk in flight at a time: the flush goes
 * on from where it was once that chunk is committed. A synchronous one (SQLite) never waits.
 */
import type { TaskRecord } from "../tasks/record";

/** Where the writer writes (HistoryDb, or a HistoryStore of store.ts). */
export interface HistorySink {
  write(records: TaskRecord[], opts: { payloads: boolean }): number | Promise<number>;
}

type Written = number | null;

/** Tasks per transaction. */
const CHUNK = 250;
/** A flush writes chunks for this long, then lets the event loop run before the next. */
const FLUSH_BUDGET_MS = 10;
/** Ids kept for a retry while writes fail; beyond this the oldest changes are given up (counted). */
const MAX_PENDING = 2_000_000;

export interface WriterStats {
  written: number;
  /** Flushes that wrote every change: each one means everything changed before it began is on disk. */
  flushes: number;
  dropped: number;
  lastFlushAt: number | null;
  lastError: string | null;
}

export class HistoryWriter {
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private again: NodeJS.Immediate | null = null;
  private inFlight: Promise<Written> | null = null;
  /** Ids in the write in flight (an asynchronous store). */
  private writing = 0;
  readonly stats: WriterStats = { written: 0, flushes: 0, dropped: 0, lastFlushAt: null, lastError: null };

  constructor(
    private readonly db: HistorySink,
    private readonly read: (id: string) => TaskRecord | undefined,
    private readonly opts: { payloads: boolean; intervalMs: number },
    /** Told when writes start failing (the error) and when they succeed again (null). */
    private readonly onErrorChange: (error: string | null) => void = () => undefined,
  ) {}

  private setError(error: string | null): void {
    if (error === this.stats.lastError) return;
    this.stats.lastError = error;
    this.onErrorChange(error);
  }

  /** The task `id` changed: written at the next flush. */
  changed(id: string): void {
    this.dirty.add(id);
  }

  /** Changed tasks not yet written: those waiting and those in a write under way. */
  get pending(): number {
    return this.dirty.size + this.writing;
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Writes the changed tasks, chunk by chunk, for FLUSH_BUDGET_MS at most; returns how many were written. */
  flush(): number {
    if (this.inFlight) return 0;
    const t0 = performance.now();
    let n = 0;
    while (this.dirty.size > 0) {
      const wrote = this.writeChunk();
      if (wrote === null) return n;
      if (typeof wrote !== "number") {
        this.inFlight = wrote;
        void wrote.then((w) => {
          this.inFlight = null;
          if (w === null || this.timer === null) return;
          if (w > 0) this.stats.lastFlushAt = Date.now();
          this.again ??= setImmediate(() => {
            this.again = null;
            this.flush();
          });
        });
        return n;
      }
      n += wrote;
      if (performance.now() - t0 > FLUSH_BUDGET_MS && this.dirty.size > 0) {
        this.again ??= setImmediate(() => {
          this.again = null;
          this.flush();
        });
        return n;
      }
    }
    this.stats.flushes++;
    if (n > 0) this.stats.lastFlushAt = Date.now();
    return n;
  }

  /** One transaction of up to CHUNK changed tasks; null when it failed (its ids kept for later). */
  private writeChunk(): Written | Promise<Written> {
    const ids: string[] = [];
    for (const id of this.dirty) {
      ids.push(id);
      if (ids.length === CHUNK) break;
    }
    for (const id of ids) this.dirty.delete(id);
    const records: TaskRecord[] = [];
    for (const id of ids) {
      const t = this.read(id);
      if (t && (t.fromEvents || t.fromBackend)) records.push(t);
    }
    try {
      const n = this.db.write(records, { payloads: this.opts.payloads });
      if (typeof n === "number") return this.wrote(n);
      this.writing = ids.length;
      return n.then(
        (k) => {
          this.writing = 0;
          return this.wrote(k);
        },
        (e) => {
          this.writing = 0;
          return this.failed(e, ids);
        },
      );
    } catch (e) {
      return this.failed(e, ids);
    }
  }

  private wrote(n: number): number {
    this.stats.written += n;
    this.setError(null);
    return n;
  }

  private failed(e: unknown, ids: string[]): null {
    this.setError((e as Error).message);
    for (const id of ids) this.dirty.add(id);
    if (this.dirty.size > MAX_PENDING) this.giveUp(this.dirty.size - MAX_PENDING);
    return null;
  }

  private giveUp(n: number): void {
    for (const id of this.dirty) {
      if (n-- <= 0) break;
      this.dirty.delete(id);
      this.stats.dropped++;
    }
  }

  /** Stops the timer and writes what is left (a synchronous store: before this returns). */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.again) clearImmediate(this.again);
    this.timer = null;
    this.again = null;
    return this.inFlight ? this.inFlight.then(() => this.drain()) : this.drain();
  }

  /** Chunks until nothing is left or one fails; synchronous while the store is. */
  private drain(): Promise<void> {
    while (this.dirty.size > 0) {
      const wrote = this.writeChunk();
      if (wrote === null) return Promise.resolve();
      if (typeof wrote !== "number") return wrote.then((w) => (w === null ? undefined : this.drain()));
    }
    // Everything changed before the stop is written: a flush like the timer's.
    this.stats.flushes++;
    return Promise.resolve();
  }
}
