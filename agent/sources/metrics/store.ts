/**
 * The metrics the agent keeps, fed from the task store's changes (transitions.ts), the queue
 * sampler and the workers' stats replies. Memory is bounded by names, queues, workers and failure
 * groups, never by tasks: per key, counts per minute for 24 hours in 2 bytes a minute per state
 * seen, and sparse duration histograms in three tiers (key-figures.ts). Reads: read.ts.
 */
import type { MetricCount } from "../../api/schema/enums";
import { FailureGroups, exceptionParts } from "./failure-groups";
import { FigureSet } from "./key-figures";
import { QueueSamples, WorkerSamples } from "./samples";
import type { FigureSink, TaskFacts } from "./transitions";

/** At most this many task names (and queues) get figures of their own; the rest share OTHER. */
export const MAX_KEYS = 2000;
export const OTHER_NAMES = "(other names)";
export const OTHER_QUEUES = "(other queues)";
/** Tasks whose name is not known yet (a LOST task seen only as received...). */
export const UNNAMED = "(unnamed)";

const minuteOf = (ms: number) => Math.floor(ms / 60_000);

export class MetricsStore implements FigureSink {
  readonly names = new FigureSet(MAX_KEYS, OTHER_NAMES);
  readonly queues = new FigureSet(MAX_KEYS, OTHER_QUEUES);
  readonly queueSamples = new QueueSamples();
  readonly workers = new WorkerSamples();
  readonly failures = new FailureGroups();
  /** Runs since start whose wait was measured from task-sent (true) or from received. */
  waitsFromSent = 0;
  waitsFromReceived = 0;

  count(name: string | null, queue: string | null, what: MetricCount, at: number): void {
    const minute = minuteOf(at);
    this.names.of(name ?? UNNAMED).count(minute, what);
    if (queue !== null) this.queues.of(queue).count(minute, what);
  }

  runtime(name: string | null, queue: string | null, worker: string | null, seconds: number, finishedAt: number): void {
    const minute = minuteOf(finishedAt);
    this.names.of(name ?? UNNAMED).runtime.add(minute, seconds);
    if (queue !== null) this.queues.of(queue).runtime.add(minute, seconds);
    if (worker !== null) this.workers.finished(worker, finishedAt, seconds * 1000);
  }

  wait(name: string | null, queue: string | null, seconds: number, startedAt: number, fromSent: boolean): void {
    const minute = minuteOf(startedAt);
    this.names.of(name ?? UNNAMED).wait.add(minute, seconds, fromSent);
    if (queue !== null) this.queues.of(queue).wait.add(minute, seconds, fromSent);
    if (fromSent) this.waitsFromSent++;
    else this.waitsFromReceived++;
  }

  failure(t: TaskFacts, at: number): void {
    const parts = exceptionParts(t.excType, t.excMessage, t.exception);
    if (parts) this.failures.add(parts.type, parts.message, t.name, t.id, at);
  }

  /** Bytes held in typed arrays (the bulk of the figures; maps and small objects besides). */
  get bytes(): number {
    return this.names.bytes + this.queues.bytes;
  }
}
