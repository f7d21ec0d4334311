/**
 * A worker whose clock is off (its heartbeats say by how much: WorkerRegistry.skewCorrection): the
 * times it reports, in its events and in the results it stores, are put on the agent's clock
 * before they reach the task store, so a task's timeline reads in one clock.
 */
import type { CeleryEvent } from "../protocol/events";
import type { TaskMeta } from "../protocol/result-meta";
import type { WorkerRegistry } from "../sources/workers/registry";

type Clocks = Pick<WorkerRegistry, "skewCorrection">;

/** An event's timestamp (seconds) on the agent's clock. */
export function eventOnAgentClock(e: CeleryEvent, workers: Clocks): CeleryEvent {
  // task-sent comes from a client, whose clock is not measured.
  const skew = e.type === "task-sent" ? 0 : workers.skewCorrection(e.hostname);
  return skew ? { ...e, timestamp: e.timestamp - skew } : e;
}

/** A stored result's date_done (milliseconds) on the agent's clock. */
export function metaOnAgentClock(m: TaskMeta, workers: Clocks): TaskMeta {
  const skew = m.worker && m.dateDone !== null ? workers.skewCorrection(m.worker) : 0;
  return skew ? { ...m, dateDone: m.dateDone! - skew * 1000 } : m;
}
