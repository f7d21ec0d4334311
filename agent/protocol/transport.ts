/**
 * The seam between Celery Panel and a broker. Everything above agent/protocol/ talks to a
 * BrokerTransport and a ResultBackend, opened by brokers.ts from the URL's scheme; only brokers.ts
 * names a concrete transport (redis/), and scripts/check-imports.ts keeps it that way.
 *
 * A transport is split by capability: its connection (BrokerConnection), Celery's events
 * (EventFeed), remote control (RemoteControl), and its queues (QueueInventory). A broker that
 * cannot list its queues in place says so with `queues: null`, not with a runtime error.
 * "Not reachable" is one error class, BrokerUnavailable, whatever the transport's client says.
 * A schedule store kept beside the broker (RedBeat on Redis) is not a broker capability: it is a
 * PeriodicStore, opened by brokers.ts for the broker it lives on.
 */
import type { CeleryEvent } from "./events";
import type { Envelope } from "./envelope";
import type { ReadOnlyControlMethod } from "./control";
import type { TaskMeta } from "./result-meta";

export type ConnectionState = "connecting" | "connected" | "unavailable";

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why it is not connected, when it is not. */
  error: string | null;
  since: number;
}

export interface BroadcastOptions {
  timeoutMs: number;
  /** Only these workers are asked; the call returns as soon as each has answered. */
  destination?: string[];
  /** Return as soon as every one of these has answered (the workers known to be alive). */
  expect?: ReadonlySet<string>;
}

export interface BroadcastResult {
  replies: Map<string, unknown>;
  /** True when the call stopped because everyone expected answered, not at the timeout. */
  early: boolean;
  elapsedMs: number;
  /** Why nobody could be asked, when the transport knows (RabbitMQ: no worker has run on the vhost yet). */
  note?: string;
}

export interface ExchangeBinding {
  exchange: string;
  routingKey: string;
  pattern: string;
  queue: string;
}

export interface QueueDepth {
  messages: number;
  /** Per priority step of the transport, in the order workers serve them; empty where the broker counts a queue as one (RabbitMQ). */
  byPriority: { priority: number; messages: number }[];
  /** Consumers of the queue, where the broker tells them with the depth (RabbitMQ). */
  consumers?: number;
  /** False: the broker has no such queue (RabbitMQ; on Redis an empty queue and no queue are the same). */
  exists?: boolean;
  /** Delivered and not yet acknowledged, where the broker counts them per queue (RabbitMQ's management API). */
  unacknowledged?: number;
  /** The queue's arguments as declared (x-max-priority, x-queue-type, TTLs), where the broker tells them. */
  arguments?: Record<string, unknown>;
  /** classic, quorum, stream (RabbitMQ). */
  queueType?: string;
}

/** One priority list of a queue to peek at (`step` as in QueueDepth), and how many of its next messages to read. */
export interface ListRead {
  queue: string;
  step: number;
  count: number;
  /** Messages passed over first, from the next to be delivered (0 when absent). */
  skip?: number;
}

export interface UnackedSummary {
  total: number;
  /** Routing key of each unacked message -> count. */
  byRoutingKey: Map<string, number>;
  /** Oldest delivery time (unix seconds) per routing key: what the visibility timeout runs against. */
  oldestByRoutingKey: Map<string, number>;
  /** False when there were too many to read one by one: only the total is known. */
  complete: boolean;
}

/** The broker (or result backend) cannot be reached now: the HTTP layer answers 503 with the message. */
export class BrokerUnavailable extends Error {}

/** The connection every transport has: its state, and starting and stopping it. */
export interface BrokerConnection {
  /** e.g. "redis://:********@host:6379/0" */
  readonly description: string;
  /** Which transport of brokers.ts this is. */
  readonly kind: string;
  status(): ConnectionStatus;
  onStatus(listener: (s: ConnectionStatus) => void): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Celery's worker and task events, as the workers publish them. */
export interface EventFeed {
  onEvent(listener: (e: CeleryEvent) => void): void;
  /** Count of broker messages that could not be decoded, by reason. */
  rejected(): Record<string, number>;
}

/** Remote control: read-only broadcasts and their replies, and who can receive them. */
export interface RemoteControl {
  broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult>;
  /** Workers holding a remote-control binding (alive, or killed without cleaning up). */
  pidboxWorkers(): Promise<string[]>;
}

/** The queues as the broker holds them: bindings and depths, and what else it can tell in place. */
export interface QueueInventory {
  bindings(): Promise<ExchangeBinding[]>;
  queueDepths(queues: string[]): Promise<Map<string, QueueDepth>>;
  /** null: this broker cannot read waiting messages without taking them (RabbitMQ): positions are unknown. */
  readonly messagePeek: MessagePeek | null;
  /** null: this broker does not tell its unacknowledged messages by routing key. */
  readonly unackedReader: UnackedReader | null;
  /**
   * Why the last listing fell back to less than it should have (RabbitMQ's management API failing:
   * queues then named by workers and events, counted by passive probes), or null.
   */
  fallback?(): string | null;
}

/** Reading the next messages of a queue's lists in place, taking none. */
/** One list's messages read, and those of them that matched. */
export interface PeekMatches {
  read: number;
  matches: { index: number; envelope: Envelope }[];
}

export interface MessagePeek {
  /** The next messages of each list, next to be delivered first; null: undecodable. */
  peekLists(reads: ListRead[]): Promise<(Envelope | null)[][]>;
  /**
   * The same reads, but only the messages whose raw bytes contain `needle` are decoded: per list, how
   * many were read and those that decode, with their index (0: next to be delivered). Finding one
   * task among a hundred thousand messages costs a byte search each rather than a JSON parse.
   */
  peekContaining?(reads: ListRead[], needle: string): Promise<PeekMatches[]>;
}

/** The messages delivered to a worker and not yet acknowledged, as the broker keeps them. */
export interface UnackedReader {
  unacked(): Promise<UnackedSummary>;
}

export interface BrokerTransport extends BrokerConnection {
  readonly events: EventFeed;
  readonly control: RemoteControl;
  /** null: this broker cannot list its queues without changing them (the panel shows what workers say). */
  readonly queues: QueueInventory | null;
}

export interface BackfillProgress {
  scanned: number;
  loaded: number;
  done: boolean;
}

export interface ResultBackend {
  readonly description: string;
  /** How the tasks view's source line names it when the URL alone does not say (Celery's database backend's table). */
  readonly label?: string;
  status(): ConnectionStatus;
  start(): Promise<void>;
  close(): Promise<void>;
  onStatus(listener: (s: ConnectionStatus) => void): void;
  /** Every state change the backend stores, as it is stored. */
  onMeta(listener: (m: TaskMeta) => void): void;
  /** The live subscription is back after a break: what was stored meanwhile was not seen. */
  onResubscribed(listener: () => void): void;
  /**
   * Reads every stored result in batches; resolves when done, with where a later backfill may
   * resume (`resumeFrom`) to read only what was stored since, or null when this backend cannot
   * (Redis: keys have no order; it reads them all each time).
   */
  backfill(onBatch: (metas: TaskMeta[]) => void, onProgress: (p: BackfillProgress) => void, resumeFrom?: string | null): Promise<string | null>;
  get(taskId: string): Promise<TaskMeta | null>;
  /**
   * A worker's configuration (its `conf` reply), for a backend whose storage it names (Celery's
   * database backend: database_table_names, database_table_schemas). True when that moved where
   * the backend reads: what was read before is then to be read again.
   */
  followConf?(conf: Record<string, unknown>): boolean;
}

/** One periodic-task entry as a schedule store (RedBeat) keeps it, parsed out of the store's format. */
export interface StoredPeriodicEntry {
  name: string;
  /** The entry's definition: task, args, kwargs, options, enabled... */
  definition: Record<string, unknown>;
  /** The schedule in the repr Celery prints (what sources/periodic parses). */
  schedule: unknown;
  enabled: boolean;
  /** Milliseconds, as the store recorded them. */
  lastRun: number | null;
  runs: number | null;
  nextRun: number | null;
}

/** A periodic-task schedule kept beside the broker (RedBeat on Redis). */
export interface PeriodicStore {
  /** Where it is read from, e.g. "RedBeat keys (redbeat:*) on redis://host:6379/0". */
  describe(prefix: string): string;
  /** Every entry under `prefix`; [] when there are none. */
  read(prefix: string): Promise<StoredPeriodicEntry[]>;
}
