/**
 * What the diagnostics remember between snapshots (trends need history: a queue's depth over the
 * last minutes, a worker's max RSS across stats replies) and the snapshot parts read from the
 * task store and the broker besides: LOST tasks, usual runtimes, the oldest task held, unacknowledged messages.
 */
import { TASK_STATES, type TaskState } from "../api/schema/enums";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import type { UnackedReader } from "../protocol/transport";
import type { LostTask, QueueFacts, RunningTask, Sample, UnackedFacts } from "../sources/diagnostics/snapshot";
import { currentRise } from "../sources/diagnostics/draining";
import type { TaskStore } from "../sources/tasks/store";

/** Samples are kept this long, and no closer together than SAMPLE_GAP_MS. */
const HISTORY_MS = 10 * 60_000;
const SAMPLE_GAP_MS = 5000;
/** Queues whose tasks taken are counted per snapshot. */
const MAX_TREND_COUNTS = 20;
/** LOST tasks read per snapshot, newest first. */
const MAX_LOST = 500;
/** States of a task a worker has taken from its queue. */
const TAKEN_STATES = TASK_STATES.filter((s): s is Exclude<TaskState, "PENDING"> => s !== "PENDING");
const NEWEST_FIRST = { by: "received", order: "desc" } as const;
const OLDEST_FIRST = { by: "received", order: "asc" } as const;

/** Per key (a queue, a worker), a figure's samples over the last minutes, oldest first. */
export class SampleRings {
  private readonly rings = new Map<string, Sample[]>();

  /** Adds a sample unless the last one is under SAMPLE_GAP_MS old; forgets those past HISTORY_MS. */
  add(key: string, at: number, value: number): void {
    let ring = this.rings.get(key);
    if (!ring) {
      ring = [];
      this.rings.set(key, ring);
    }
    const last = ring[ring.length - 1];
    if (last && at - last.at < SAMPLE_GAP_MS) return;
    ring.push({ at, value });
    while (ring.length && at - ring[0]!.at > HISTORY_MS) ring.shift();
  }

  get(key: string): Sample[] {
    return [...(this.rings.get(key) ?? [])];
  }

  /** Drops the keys not in `keep` (queues deleted, workers gone). */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.rings.keys()) if (!keep.has(k)) this.rings.delete(k);
  }
}

/**
 * The queues with their depth samples; for one whose depth is rising (currentRise), how many tasks
 * workers took from it since the rise began: a pass over the store's columns, so asked only where
 * the rule may draw a trend, and for at most MAX_TREND_COUNTS queues (the most grown first).
 */
export function withDepthHistory(
  queues: { name: string; messages: number | null }[],
  depths: SampleRings,
  tasks: TaskStore,
  now: number,
  trendWindowMs: number,
): QueueFacts[] {
  for (const q of queues) if (q.messages !== null) depths.add(q.name, now, q.messages);
  depths.retain(new Set(queues.map((q) => q.name)));
  const out = queues.map((q) => ({ ...q, depths: depths.get(q.name), receivedInRise: null as number | null }));
  const growth = (d: readonly Sample[]) => d[d.length - 1]!.value - d[0]!.value;
  const rising = out.flatMap((q) => {
    const rise = currentRise(q.depths, trendWindowMs);
    return rise ? [{ q, rise }] : [];
  });
  rising.sort((a, b) => growth(b.rise) - growth(a.rise));
  for (const { q, rise } of rising.slice(0, MAX_TREND_COUNTS)) {
    q.receivedInRise = tasks.query({ queue: q.name, since: rise[0]!.at, states: TAKEN_STATES }, NEWEST_FIRST, 0, null).total;
  }
  return out;
}

/** A worker's max RSS (kB) from its stats reply. */
export function maxRssKb(stats: unknown): number | null {
  return isRecord(stats) && isRecord(stats.rusage) ? num(stats.rusage.maxrss) : null;
}

/** A worker's pool size from its stats reply. */
export function concurrencyOf(stats: unknown): number | null {
  return isRecord(stats) && isRecord(stats.pool) ? num(stats.pool["max-concurrency"]) : null;
}

export function lostTasks(tasks: TaskStore): LostTask[] {
  return tasks
    .query({ states: ["LOST"] }, NEWEST_FIRST, MAX_LOST, null)
    .tasks.flatMap((t) => (t.lost ? [{ id: t.id, name: t.name, worker: t.lost.worker, at: t.lost.at }] : []));
}

/** When the oldest task held was received (or sent, or first seen): one step along the received-time index. */
export function oldestHeld(tasks: TaskStore): number | null {
  const t = tasks.query({}, OLDEST_FIRST, 1, null).tasks[0];
  return t ? (t.received ?? t.sent ?? t.firstSeen) : null;
}

/** The usual runtime of each running task's name, where enough of them ran to say. */
export function typicalRuntimes(tasks: TaskStore, running: RunningTask[], now: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of running) {
    if (t.name === null || t.name in out) continue;
    const p95 = tasks.typicalRuntime(t.name, now);
    if (p95 !== null) out[t.name] = p95;
  }
  return out;
}

/** The unacknowledged messages per queue (their routing key, as Celery routes by queue name), or null. */
export async function unackedFacts(reader: UnackedReader | null): Promise<{ queues: UnackedFacts[]; total: number; complete: boolean } | null> {
  if (!reader) return null;
  const u = await reader.unacked().catch(() => null);
  if (!u) return null;
  const queues = [...u.byRoutingKey].map(([queue, count]) => {
    const oldest = u.oldestByRoutingKey.get(queue);
    return { queue, count, oldest: oldest === undefined ? null : oldest * 1000 };
  });
  return { queues, total: u.total, complete: u.complete };
}
