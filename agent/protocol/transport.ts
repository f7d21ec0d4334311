/**
 * The seam between Celery Panel and a broker. Everything above this file (sources, stores, HTTP)
 * talks to a BrokerTransport and a ResultBackend, never to Redis directly, so an AMQP transport can
 * slot in later with the same shapes.
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
}

export interface ExchangeBinding {
  exchange: string;
  routingKey: string;
  pattern: string;
  queue: string;
}

export interface QueueDepth {
  messages: number;
  /** Per priority step of the transport, in the order workers serve them. */
  byPriority: { priority: number; messages: number }[];
}

/** One priority list of a queue to peek at (`step` as in QueueDepth), and how many of its next messages to read. */
export interface ListRead {
  queue: string;
  step: number;
  count: number;
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

export interface BrokerTransport {
  /** e.g. "redis://:********@host:6379/0" */
  readonly description: string;
  readonly kind: "redis";
  status(): ConnectionStatus;
  start(): Promise<void>;
  close(): Promise<void>;
  onStatus(listener: (s: ConnectionStatus) => void): void;
  onEvent(listener: (e: CeleryEvent) => void): void;
  /** Count of broker messages that could not be decoded, by reason. */
  rejected(): Record<string, number>;
  broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult>;
  bindings(): Promise<ExchangeBinding[]>;
  /** Workers holding a remote-control binding (alive, or killed without cleaning up). */
  pidboxWorkers(): Promise<string[]>;
  queueDepths(queues: string[]): Promise<Map<string, QueueDepth>>;
  /** The next messages of each list, next to be delivered first, read without taking any; null: undecodable. */
  peekLists(reads: ListRead[]): Promise<(Envelope | null)[][]>;
  unacked(): Promise<UnackedSummary>;
}

export interface BackfillProgress {
  scanned: number;
  loaded: number;
  done: boolean;
}

export interface ResultBackend {
  readonly description: string;
  status(): ConnectionStatus;
  start(): Promise<void>;
  close(): Promise<void>;
  onStatus(listener: (s: ConnectionStatus) => void): void;
  /** Every state change the backend stores, as it is stored. */
  onMeta(listener: (m: TaskMeta) => void): void;
  /** The live subscription is back after a break: what was stored meanwhile was not seen. */
  onResubscribed(listener: () => void): void;
  /** Reads every stored result in batches; resolves when done. */
  backfill(onBatch: (metas: TaskMeta[]) => void, onProgress: (p: BackfillProgress) => void): Promise<void>;
  get(taskId: string): Promise<TaskMeta | null>;
}
