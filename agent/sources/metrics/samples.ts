/**
 * Figures sampled rather than counted: each queue's depth, unacknowledged messages, consumers and
 * oldest message age (every few seconds, from the broker), and each worker's finished tasks, busy
 * time and memory (from task events and the `stats` replies the agent already gets). Per minute for
 * 24 hours, in wide columns (minute-columns.ts); a sample is stored plus one, so 0 is "none taken".
 */
import { MinuteColumns } from "./minute-columns";

export const QUEUE_COLS = { messages: 0, messagesMax: 1, consumers: 2, oldestAge: 3, unacked: 4 } as const;
export const WORKER_COLS = { tasks: 0, busyMs: 1, rssKb: 2 } as const;
const MAX_QUEUES = 2000;
const MAX_WORKERS = 1000;

export interface QueueSample {
  at: number;
  messages: number | null;
  byPriority: { priority: number; messages: number }[];
  unacked: number | null;
  consumers: number | null;
  /** Seconds. */
  oldestAge: number | null;
}

/** A value or nothing, as stored (value + 1, 0 for nothing) and read back. */
export const stored = (v: number | null) => (v === null || !Number.isFinite(v) || v < 0 ? 0 : Math.round(v) + 1);
export const unstored = (v: number) => (v === 0 ? null : v - 1);

export class QueueSamples {
  readonly perMinute = new Map<string, MinuteColumns>();
  readonly current = new Map<string, QueueSample>();

  add(name: string, s: QueueSample): void {
    let cols = this.perMinute.get(name);
    if (!cols) {
      if (this.perMinute.size >= MAX_QUEUES) return;
      cols = new MinuteColumns([true, true, true, true, true]);
      this.perMinute.set(name, cols);
    }
    const minute = Math.floor(s.at / 60_000);
    cols.set(minute, QUEUE_COLS.messages, stored(s.messages));
    cols.max(minute, QUEUE_COLS.messagesMax, stored(s.messages));
    cols.set(minute, QUEUE_COLS.consumers, stored(s.consumers));
    cols.set(minute, QUEUE_COLS.oldestAge, stored(s.oldestAge));
    cols.set(minute, QUEUE_COLS.unacked, stored(s.unacked));
    this.current.set(name, s);
  }

  /** Forgets the current sample of queues no longer listed (their history stays for the window). */
  retain(names: ReadonlySet<string>): void {
    for (const k of this.current.keys()) if (!names.has(k)) this.current.delete(k);
  }
}

export interface WorkerFigures {
  perMinute: MinuteColumns;
  /** Pool size from the latest stats reply, null until one came. */
  concurrency: number | null;
  /** Tasks finished since the agent started. */
  finished: number;
}

export class WorkerSamples {
  readonly byName = new Map<string, WorkerFigures>();

  private of(name: string): WorkerFigures | null {
    let w = this.byName.get(name);
    if (!w) {
      if (this.byName.size >= MAX_WORKERS) return null;
      w = { perMinute: new MinuteColumns([true, true, true]), concurrency: null, finished: 0 };
      this.byName.set(name, w);
    }
    return w;
  }

  /** A task finished on `worker` at `finishedAt` after running `runtimeMs`: its time is spread over the minutes it ran. */
  finished(worker: string, finishedAt: number, runtimeMs: number | null): void {
    const w = this.of(worker);
    if (!w) return;
    const cols = w.perMinute;
    w.finished++;
    cols.add(Math.floor(finishedAt / 60_000), WORKER_COLS.tasks, 1);
    if (runtimeMs === null || !(runtimeMs > 0)) return;
    let end = finishedAt;
    let left = Math.min(Math.round(runtimeMs), 24 * 3600_000);
    while (left > 0) {
      const minuteStart = Math.floor((end - 1) / 60_000) * 60_000;
      const part = Math.min(left, end - minuteStart);
      if (!cols.add(minuteStart / 60_000, WORKER_COLS.busyMs, part)) break;
      left -= part;
      end -= part;
    }
  }

  /** A `stats` reply: the pool size and max RSS (kB). */
  stats(worker: string, at: number, concurrency: number | null, rssKb: number | null): void {
    const w = this.of(worker);
    if (!w) return;
    if (concurrency !== null) w.concurrency = concurrency;
    if (rssKb !== null) w.perMinute.max(Math.floor(at / 60_000), WORKER_COLS.rssKb, stored(rssKb));
  }
}
