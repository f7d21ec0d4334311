/**
 * Retention: tasks received longer ago than --retain (failed ones: --retain-failures), then the
 * oldest beyond --retain-max-rows, whatever their state,
 * deleted in small steps (a thousand rows, a few milliseconds each) between which ingest runs. A
 * pass takes steps for at most PASS_BUDGET_MS, then yields; it comes back at once while there is
 * more to delete, else after `periodMs`.
 */
import type { TaskState } from "../../api/schema/enums";
import type { HistoryDb } from "./database";
import { STATE_CODES } from "./row-codec";

export const RETENTION_STEP = 1000;
const PASS_BUDGET_MS = 25;
const DRAIN_STEPS = 20;

export interface RetentionLimits {
  retainMs: number;
  retainFailuresMs: number;
  maxRows: number;
}

/** The states --retain-failures keeps (a task that did not do its work). */
export const FAILED_STATES: readonly TaskState[] = ["FAILURE", "LOST", "REJECTED"];
export const FAILED_CODES = FAILED_STATES.map((s) => STATE_CODES.get(s)!);
const OTHER_CODES = [...STATE_CODES.values()].filter((c) => !FAILED_CODES.includes(c));

/** One step: up to `step` rows past the age limit, else the oldest over the row limit. Returns how many went. */
export function retentionStep(db: HistoryDb, limits: RetentionLimits, now: number, step = RETENTION_STEP): number {
  const byAge = db.deleteOlderThan(now - limits.retainMs, step, OTHER_CODES);
  if (byAge > 0) return byAge;
  const failed = db.deleteOlderThan(now - limits.retainFailuresMs, step, FAILED_CODES);
  if (failed > 0) return failed;
  const over = db.rows() - limits.maxRows;
  return over > 0 ? db.deleteOldest(Math.min(over, step)) : 0;
}

/** What a pass steps through: the store (store.ts), synchronous (SQLite) or not (PostgreSQL). */
export interface RetentionTarget {
  retentionStep(limits: RetentionLimits, now: number): number | Promise<number>;
}

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  deleted = 0;
  lastError: string | null = null;

  constructor(
    private readonly store: RetentionTarget,
    private readonly limits: RetentionLimits,
    private readonly periodMs: number,
  ) {}

  start(): void {
    this.schedule(this.periodMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * On the way out, after the last flush: a task the memory still held may have been written back
   * after a pass deleted it (it changed again), so the file is brought within the limits once more
   * (at most DRAIN_STEPS steps: stopping stays quick).
   */
  async drain(): Promise<void> {
    this.stop();
    try {
      for (let i = 0; i < DRAIN_STEPS; i++) {
        const n = await this.store.retentionStep(this.limits, Date.now());
        this.deleted += n;
        if (n === 0) break;
      }
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass(), ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const t0 = performance.now();
    let more = false;
    try {
      for (;;) {
        const n = await this.store.retentionStep(this.limits, Date.now());
        this.deleted += n;
        if (n === 0) break;
        if (performance.now() - t0 > PASS_BUDGET_MS) {
          more = true;
          break;
        }
      }
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
    }
    this.schedule(more ? 0 : this.periodMs);
  }
}
