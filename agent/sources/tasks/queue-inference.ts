/**
 * A task's queue when no source names it (workers without `task_send_sent_event`, results without
 * `result_extended`), inferred from what a worker says it consumes (`active_queues`) and how a
 * message it holds was delivered (`delivery_info` in `inspect active/reserved/scheduled`).
 */
import { isRecord } from "../../protocol/envelope";
import { str } from "../../protocol/events";
import { readQueueDeclaration, type QueueDeclaration } from "../queues";

/** The queues of an `active_queues` reply. */
export function consumedQueues(reply: unknown): QueueDeclaration[] {
  return Array.isArray(reply) ? reply.map(readQueueDeclaration).filter((q) => q !== null) : [];
}

/** The queue a worker consumes when it consumes exactly one: whatever it received came from there. */
export function onlyQueue(consumed: readonly QueueDeclaration[]): string | null {
  return consumed.length === 1 ? consumed[0]!.name : null;
}

/**
 * The queue a message held by a worker came from: through the default exchange ("") the routing
 * key is the queue's name; through a named exchange, the one consumed queue bound to it with that
 * key (direct), a pattern matching it (topic), or at all (fanout). Null when that is not one queue.
 */
export function queueOfDelivery(exchange: string | null, routingKey: string | null, consumed: readonly QueueDeclaration[]): string | null {
  if (routingKey === null) return onlyQueue(consumed);
  if (exchange === "" || exchange === null) return !consumed.length || consumed.some((q) => q.name === routingKey) ? routingKey : onlyQueue(consumed);
  const bound = consumed.filter((q) => q.exchange === exchange && routes(q, routingKey));
  if (bound.length === 1) return bound[0]!.name;
  return bound.length === 0 ? onlyQueue(consumed) : null;
}

function routes(q: QueueDeclaration, routingKey: string): boolean {
  if (q.exchangeType === "fanout") return true;
  if (q.routingKey === null) return false;
  return q.exchangeType === "topic" ? topicMatches(q.routingKey, routingKey) : q.routingKey === routingKey;
}

/** AMQP's topic binding: words split by dots, `*` is one word, `#` zero or more. */
export function topicMatches(binding: string, routingKey: string): boolean {
  const p = binding.split(".");
  const k = routingKey.split(".");
  // match[i][j]: the first i words of the binding match the first j of the key.
  let prev = [true, ...k.map(() => false)];
  for (let i = 1; i <= p.length; i++) {
    const w = p[i - 1]!;
    const row = [w === "#" && prev[0]!];
    for (let j = 1; j <= k.length; j++) row.push(w === "#" ? prev[j]! || row[j - 1]! : prev[j - 1]! && (w === "*" || w === k[j - 1]));
    prev = row;
  }
  return prev[k.length]!;
}

/** Task id and delivery of each message in an `inspect active/reserved/scheduled` reply. */
export function deliveries(reply: unknown): { id: string; exchange: string | null; routingKey: string | null }[] {
  if (!Array.isArray(reply)) return [];
  const out: { id: string; exchange: string | null; routingKey: string | null }[] = [];
  for (const entry of reply) {
    if (!isRecord(entry)) continue;
    const req = isRecord(entry.request) ? entry.request : entry;
    const id = str(req.id);
    const di = isRecord(req.delivery_info) ? req.delivery_info : null;
    if (id && di) out.push({ id, exchange: typeof di.exchange === "string" ? di.exchange : null, routingKey: str(di.routing_key) });
  }
  return out;
}
