/**
 * What the rules read: a small, plain picture of the stores' state at one moment, built by the
 * runtime (runtime/diagnostics.ts) and built by hand in the unit tests. Unknown is null, never a
 * guess: a rule that needs a fact it does not have says nothing (or says it cannot tell).
 */
import type { BeatStatus } from "../../api/schema/enums";
import type { TaskRecord } from "../tasks/record";

/** The task fields a rule reads. */
export type TaskFacts = Pick<
  TaskRecord,
  "id" | "name" | "state" | "stateAt" | "firstSeen" | "sent" | "received" | "started" | "worker" | "queue" | "eta" | "waiting"
>;

export interface RunningTask {
  id: string;
  name: string | null;
  /** ms, agent clock. */
  started: number | null;
}

export interface WorkerFacts {
  name: string;
  status: "online" | "offline";
  busy: boolean;
  /** The registry's words for its liveness. */
  detail: string | null;
  /** Heard from (an event, an answer), not only seen as a remote-control binding. */
  heard: boolean;
  /** When it was last heard from, or said goodbye (ms). */
  lastHeard: number | null;
  offlineAt: number | null;
  pid: number | null;
  restartedAt: number | null;
  /** Seconds its clock runs ahead of the agent's. */
  clockSkew: number | null;
  /** The queues it consumes (active_queues); null: not known. */
  queues: string[] | null;
  /** The task names it registers; null: not known. */
  registered: string[] | null;
  /** Task events arrived from it since its process started. */
  sendsTaskEvents: boolean;
  /** Results it stored in the backend of tasks no event told of: evidence its task events are off. */
  resultsWithoutEvents: { count: number; last: number } | null;
  /** Its settings, defaults included (inspect conf); null: not known. */
  conf: Record<string, unknown> | null;
  running: RunningTask[];
  /** Tasks it holds prefetched (inspect reserved); null: not known. */
  reserved: number | null;
  /** Its pool's size (stats); null: not known. */
  concurrency: number | null;
  /** Its max RSS (kB, stats rusage) as sampled, oldest first. */
  maxRss: Sample[];
}

/** A figure read at a time (ms, agent clock). */
export interface Sample {
  at: number;
  value: number;
}

/** A task that ended LOST: its worker died or restarted while holding it. */
export interface LostTask {
  id: string;
  name: string | null;
  worker: string;
  /** When the agent gave up on it (ms). */
  at: number;
}

/** A periodic entry as the periodic view reads it (handlers/periodic.ts): its schedule, runs seen, a run missed. */
export interface PeriodicEntryFacts {
  name: string;
  task: string;
  /** null: its store does not say (beat_schedule entries are always on). */
  enabled: boolean | null;
  /** The schedule in words, and why it could not be understood (a crontab that never fires says so). */
  schedule: string;
  error: string | null;
  lastRun: number | null;
  /** When a run was due past a tolerance with none seen (ms); null: none missing. */
  missedRun: number | null;
}

export interface PeriodicFacts {
  entries: PeriodicEntryFacts[];
  /** The beat check's verdict (beat-check.ts): "late" when beat has sent nothing since an entry fell due. */
  beat: { status: BeatStatus; detail: string; entry: string | null; lastRun: number | null } | null;
  /** Where the entries were read. */
  source: string;
}

/** Unacknowledged messages (Redis) of one queue: how many, and the oldest delivery (ms). */
export interface UnackedFacts {
  queue: string;
  count: number;
  oldest: number | null;
}

export interface QueueFacts {
  name: string;
  /** null: not counted (the broker cannot, or it was not reachable). */
  messages: number | null;
  /** Its depth as sampled over the last minutes, oldest first (the last one is `messages`). */
  depths: Sample[];
  /** Tasks received from it by workers since its depth began its current rise (draining.ts currentRise); null: not counted. */
  receivedInRise: number | null;
}

/**
 * How long the time-judging rules wait before they conclude (the agent's --stuck-after and
 * --trend-window): a deployment of second-long tasks may want to hear sooner than the defaults.
 */
export interface DiagnosticThresholds {
  /** A running task is not called stuck (running long, its silent solo worker suspect) before it has run this long (ms). */
  stuckAfterMs: number;
  /** A queue's rising depth must span this long before the queue is said not to drain (ms). */
  trendWindowMs: number;
}

export const DEFAULT_THRESHOLDS: Readonly<DiagnosticThresholds> = { stuckAfterMs: 60_000, trendWindowMs: 60_000 };

export interface DiagnosticSnapshot {
  /** ms, agent clock. */
  now: number;
  thresholds: DiagnosticThresholds;
  /** The broker's transport ("redis", "amqp"...). */
  brokerKind: string;
  workers: WorkerFacts[];
  queues: QueueFacts[];
  /** Tasks held that wait for something: PENDING, RECEIVED, SCHEDULED, RETRY. */
  waitingTasks: TaskFacts[];
  /** Clients seen sending task-sent events. */
  sentEventsFrom: string[];
  /** task-received events seen since the agent started (tasks were sent, by whoever). */
  tasksReceived: number;
  /** The agent's own --transport-options (a visibility_timeout there is the one it reads with). */
  agentTransportOptions: Record<string, unknown>;
  /** How the last read of waiting messages went: how many it read of how many. */
  waitingRead: { read: number; messages: number; truncated: boolean; at: number | null } | null;
  /** Unacknowledged messages per queue (Redis); null: this broker has none to read, or not read. */
  unacked: { queues: UnackedFacts[]; total: number; complete: boolean } | null;
  /** LOST tasks held, newest first (bounded). */
  lostTasks: LostTask[];
  /** The usual runtime (p95, s) of the names of the tasks running, when enough of them ran. */
  typicalRuntime: Record<string, number>;
  /** When the oldest task the agent holds was received (or sent, or first seen), ms; null: none held. */
  oldestHeld: number | null;
  /** beat's entries and the beat check; null: not read (no periodic source, or it failed). */
  periodic: PeriodicFacts | null;
}

/**
 * The online workers known to consume `queue`, and whether that is all of them (`complete`: every
 * online worker said which queues it consumes, so "nobody" is a fact, not a gap).
 */
export function consumersOf(snap: Pick<DiagnosticSnapshot, "workers">, queue: string): { consumers: WorkerFacts[]; complete: boolean } {
  const online = snap.workers.filter((w) => w.status === "online");
  return { consumers: online.filter((w) => w.queues?.includes(queue)), complete: online.every((w) => w.queues !== null) };
}

/** Per snapshot, looked up once: ten thousand waiting tasks ask about the same few queues. */
const queueIndex = new WeakMap<DiagnosticSnapshot, Map<string, QueueFacts>>();
const consumerIndex = new WeakMap<DiagnosticSnapshot, Map<string, ReturnType<typeof consumersOf>>>();

export function queueOf(snap: DiagnosticSnapshot, name: string): QueueFacts | undefined {
  let index = queueIndex.get(snap);
  if (!index) {
    index = new Map(snap.queues.map((q) => [q.name, q]));
    queueIndex.set(snap, index);
  }
  return index.get(name);
}

export function consumersOfQueue(snap: DiagnosticSnapshot, queue: string): ReturnType<typeof consumersOf> {
  let index = consumerIndex.get(snap);
  if (!index) {
    index = new Map();
    consumerIndex.set(snap, index);
  }
  let found = index.get(queue);
  if (!found) {
    found = consumersOf(snap, queue);
    index.set(queue, found);
  }
  return found;
}
