/**
 * Every queue, merged from three places: the broker's bindings (on Redis `_kombu.binding.*`; on
 * RabbitMQ the management API's, when given: both include queues nobody consumes), the workers'
 * `active_queues`, and the configured `task_queues`. Depths come from the broker: Redis's priority
 * lists in one pipeline, RabbitMQ's passive declares or management API (with unacked counts,
 * consumer counts and arguments).
 */
import { isRecord } from "../protocol/envelope";
import { num, str } from "../protocol/events";
import type { ExchangeBinding, QueueDepth, QueueInventory, UnackedSummary } from "../protocol/transport";

/** Exchanges of Celery's own plumbing (remote control, events): not task queues. */
export function isPlumbing(exchange: string, queue: string): boolean {
  return exchange.endsWith(".pidbox") || exchange === "celeryev" || queue.endsWith(".pidbox") || queue.startsWith("celeryev.");
}

export interface QueueDeclaration {
  name: string;
  exchange: string | null;
  exchangeType: string | null;
  routingKey: string | null;
  durable: boolean | null;
  maxPriority: number | null;
}

/** A queue dict as Celery reports it (active_queues, or task_queues in conf). */
export function readQueueDeclaration(q: unknown): QueueDeclaration | null {
  if (!isRecord(q) || typeof q.name !== "string") return null;
  const ex = isRecord(q.exchange) ? q.exchange : null;
  const args = isRecord(q.queue_arguments) ? q.queue_arguments : null;
  const rk = str(q.routing_key);
  return {
    name: q.name,
    exchange: str(ex?.name) ?? null,
    exchangeType: str(ex?.type) ?? null,
    // Celery's conf masks any key containing "KEY", routing_key included: that tells us nothing.
    routingKey: rk === "********" ? null : rk,
    durable: typeof q.durable === "boolean" ? q.durable : null,
    maxPriority: num(q.max_priority) ?? num(args?.["x-max-priority"]),
  };
}

export interface QueueInputs {
  bindings: ExchangeBinding[];
  /** Worker -> the queues it consumes. */
  activeQueues: Map<string, QueueDeclaration[]>;
  configured: QueueDeclaration[];
  /** Queue names that routes send to (they exist for producers even if undeclared). */
  routed: string[];
  /** Queue names tasks were sent to (task-sent events), where the broker cannot list its queues. */
  sentTo?: string[];
  online: (worker: string) => boolean;
  prefetch: (worker: string) => number | null;
}

export interface MergedQueue extends QueueDeclaration {
  bindings: { exchange: string; routing_key: string; pattern: string }[];
  consumers: { worker: string; online: boolean; prefetch_count: number | null }[];
  declaredIn: Set<"broker" | "workers" | "config" | "events">;
}

export function mergeQueues(inp: QueueInputs): Map<string, MergedQueue> {
  const out = new Map<string, MergedQueue>();
  const get = (name: string): MergedQueue => {
    let q = out.get(name);
    if (!q) {
      q = { name, exchange: null, exchangeType: null, routingKey: null, durable: null, maxPriority: null, bindings: [], consumers: [], declaredIn: new Set() };
      out.set(name, q);
    }
    return q;
  };
  const fill = (q: MergedQueue, d: QueueDeclaration) => {
    q.exchange ??= d.exchange;
    q.exchangeType ??= d.exchangeType;
    q.routingKey ??= d.routingKey;
    q.durable ??= d.durable;
    q.maxPriority ??= d.maxPriority;
  };
  for (const [worker, decls] of inp.activeQueues) {
    for (const d of decls) {
      const q = get(d.name);
      q.declaredIn.add("workers");
      fill(q, d);
      q.consumers.push({ worker, online: inp.online(worker), prefetch_count: inp.prefetch(worker) });
    }
  }
  for (const d of inp.configured) {
    const q = get(d.name);
    q.declaredIn.add("config");
    fill(q, d);
  }
  for (const b of inp.bindings) {
    if (isPlumbing(b.exchange, b.queue)) continue;
    const q = get(b.queue);
    q.declaredIn.add("broker");
    q.bindings.push({ exchange: b.exchange, routing_key: b.routingKey, pattern: b.pattern });
    q.exchange ??= b.exchange;
    q.routingKey ??= b.routingKey;
    if (b.pattern) q.exchangeType ??= "topic";
  }
  for (const name of inp.routed) if (!out.has(name)) get(name).declaredIn.add("config");
  for (const name of inp.sentTo ?? []) get(name).declaredIn.add("events");
  return out;
}

/**
 * Attributes unacked messages to queues through their routing keys (and topic patterns). Queues are
 * looked up by routing key through a map built once, so this stays linear in queues plus routing
 * keys (ten thousand queues, hundreds of unacked routing keys), not their product.
 */
export function unackedPerQueue(queues: Map<string, MergedQueue>, unacked: UnackedSummary): Map<string, { count: number; oldest: number | null }> {
  const out = new Map<string, { count: number; oldest: number | null }>();
  if (!unacked.byRoutingKey.size) return out;
  const byKey = new Map<string, string[]>();
  const patterned: { queue: string; re: RegExp }[] = [];
  const add = (rk: string, q: string) => {
    const list = byKey.get(rk);
    if (!list) byKey.set(rk, [q]);
    else if (list[list.length - 1] !== q) list.push(q);
  };
  for (const q of queues.values()) {
    if (q.routingKey !== null) add(q.routingKey, q.name);
    for (const b of q.bindings) {
      add(b.routing_key, q.name);
      const re = b.pattern ? safeRegex(b.pattern) : null;
      if (re) patterned.push({ queue: q.name, re });
    }
  }
  for (const [rk, count] of unacked.byRoutingKey) {
    const oldest = unacked.oldestByRoutingKey.get(rk) ?? null;
    const names = new Set(byKey.get(rk));
    for (const p of patterned) if (p.re.test(rk)) names.add(p.queue);
    if (!names.size && queues.has(rk)) names.add(rk);
    for (const n of names) {
      const cur = out.get(n) ?? { count: 0, oldest: null };
      cur.count += count;
      if (oldest !== null && (cur.oldest === null || oldest < cur.oldest)) cur.oldest = oldest;
      out.set(n, cur);
    }
  }
  return out;
}

const regexCache = new Map<string, RegExp | null>();
function safeRegex(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    try {
      regexCache.set(pattern, new RegExp(pattern));
    } catch {
      regexCache.set(pattern, null);
    }
  }
  return regexCache.get(pattern)!;
}

/** A merged queue with what the broker counts of it. */
export interface CountedQueue {
  queue: MergedQueue;
  /** Its messages, by priority; null: not counted. */
  depth: QueueDepth | null;
  /** Its unacked messages (the oldest's delivery time in s); null: the broker cannot tell. */
  unacked: { count: number; oldest: number | null } | null;
}

/** The merged queues by name, each with its depth and its unacked messages as the broker counts them. */
export async function countQueues(
  /** null: the broker cannot count its queues (depths and unacked unknown). */
  transport: QueueInventory | null,
  merged: Map<string, MergedQueue>,
): Promise<CountedQueue[]> {
  const names = [...merged.keys()].sort();
  const [depths, unacked] = transport
    ? await Promise.all([transport.queueDepths(names), transport.unackedReader?.unacked() ?? null])
    : [new Map<string, QueueDepth>(), null];
  const perQueue = unacked?.complete ? unackedPerQueue(merged, unacked) : null;
  return names.map((name) => {
    const d = depths.get(name) ?? null;
    // Counted per queue by the broker itself (RabbitMQ's management API), else read from the unacked index (Redis).
    const counted = d?.unacknowledged;
    const unackedOf = counted !== undefined ? { count: counted, oldest: null } : perQueue ? (perQueue.get(name) ?? { count: 0, oldest: null }) : null;
    return { queue: merged.get(name)!, depth: d, unacked: unackedOf };
  });
}
