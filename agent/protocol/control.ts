/**
 * Celery remote control (the pidbox): request bodies and the reply collector with early return.
 * Transport-neutral: the Redis transport moves the bytes, this file knows what they mean.
 */
import { randomUUID } from "node:crypto";
import { isRecord, type Envelope } from "./envelope";

/**
 * The only methods Celery Panel ever sends. Anything that changes a worker (revoke, shutdown,
 * pool_grow, rate_limit, enable_events, ...) is absent on purpose: the type and the runtime check
 * both refuse it.
 */
export const READ_ONLY_METHODS = [
  "ping",
  "stats",
  "active_queues",
  "registered",
  "active",
  "reserved",
  "scheduled",
  "revoked",
  "conf",
  "query_task",
  "report",
  "clock",
] as const;

export type ReadOnlyControlMethod = (typeof READ_ONLY_METHODS)[number];

const allowed = new Set<string>(READ_ONLY_METHODS);

export function assertReadOnly(method: string): asserts method is ReadOnlyControlMethod {
  if (!allowed.has(method)) throw new Error(`refusing to send remote-control method "${method}": Celery Panel is read-only`);
}

export interface ControlRequest {
  ticket: string;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

let clock = 0;

export function buildControlRequest(
  method: ReadOnlyControlMethod,
  args: Record<string, unknown>,
  replyExchange: string,
  replyRoutingKey: string,
  destination: string[] | undefined,
  timeoutMs: number,
): ControlRequest {
  assertReadOnly(method);
  const ticket = randomUUID();
  return {
    ticket,
    body: {
      method,
      arguments: args,
      destination: destination?.length ? destination : null,
      pattern: null,
      matcher: null,
      ticket,
      reply_to: { exchange: replyExchange, routing_key: replyRoutingKey },
    },
    // Workers drop requests past `expires`, so a busy worker does not answer long after we stopped listening.
    headers: { clock: ++clock, expires: Date.now() / 1000 + timeoutMs / 1000 },
  };
}

/** Reads one reply envelope: `{worker: reply}` with our ticket, or null for anything else. */
export function readControlReply(envelope: Envelope, ticket: string): [string, unknown][] | null {
  if (envelope.headers.ticket !== ticket) return null;
  if (!isRecord(envelope.body)) return null;
  return Object.entries(envelope.body);
}

/** Collects replies and says when to stop: everyone expected has answered, or the destination has. */
export class ReplyCollector {
  readonly replies = new Map<string, unknown>();
  private readonly waitingFor: Set<string> | null;

  constructor(destination: string[] | undefined, expect: ReadonlySet<string> | undefined) {
    const want = destination?.length ? destination : expect ? [...expect] : null;
    this.waitingFor = want?.length ? new Set(want) : null;
  }

  add(worker: string, reply: unknown): void {
    this.replies.set(worker, reply);
    this.waitingFor?.delete(worker);
  }

  /** Without anyone to wait for, a broadcast can only end at its timeout (as Celery's CLI does). */
  get complete(): boolean {
    return this.waitingFor !== null && this.waitingFor.size === 0;
  }
}
