/** A queue as the Queues view shows it (what was merged of its declarations, what the broker counts), and how its waiting messages were read. */
import type { QueueSummary, WaitingRead } from "../../api/schema";
import type { CountedQueue } from "../../sources/queues";
import type { WaitingReadSummary } from "../../sources/waiting";

export function queueSummary({ queue: q, depth: d, unacked: u }: CountedQueue): QueueSummary {
  return {
    name: q.name,
    exchange: q.exchange,
    exchange_type: q.exchangeType,
    routing_key: q.routingKey,
    bindings: q.bindings.map((b) => ({ exchange: b.exchange, routing_key: b.routing_key })),
    durable: q.durable,
    // RabbitMQ's management API tells a queue's arguments even when no worker declared it.
    max_priority: q.maxPriority ?? maxPriorityArgument(d?.arguments),
    messages: d ? d.messages : null,
    messages_by_priority: d ? d.byPriority : [],
    unacked: u ? u.count : null,
    oldest_unacked_at: u?.oldest ? new Date(u.oldest * 1000).toISOString() : null,
    consumers: q.consumers,
    declared_in: [...q.declaredIn].sort() as QueueSummary["declared_in"],
    consumer_count: d?.consumers ?? null,
    arguments: d?.arguments ?? null,
    queue_type: d?.queueType ?? null,
  };
}

function maxPriorityArgument(args: Record<string, unknown> | undefined): number | null {
  const v = args?.["x-max-priority"];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function waitingRead({ readAt, ...counts }: WaitingReadSummary): WaitingRead {
  return { ...counts, read_at: readAt === null ? null : new Date(readAt).toISOString() };
}
