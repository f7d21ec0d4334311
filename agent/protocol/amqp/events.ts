/**
 * Celery's events on RabbitMQ: a queue of the agent's own (exclusive, non-durable, auto-delete, a
 * fresh name per connection) bound to the `celeryev` topic exchange with `#`, consumed with noAck.
 * `celeryev` is only checked, passively, never declared: when no worker has run on the vhost yet
 * it does not exist, the status says so, and the check is repeated every few seconds.
 */
import { randomUUID } from "node:crypto";
import type { Channel, ConsumeMessage } from "amqplib";
import { defaultDecodeLimits, type DecodeLimits } from "../envelope";
import { eventsFromBody, WORKER_EVENTS, type CeleryEvent } from "../events";
import { decodeNativeBody } from "../native-message";
import type { EventFeed } from "../transport";
import { closeCode, errorText, ROLE_RETRY_MS, type AmqpConnection, type ChannelRole } from "./connection";

/**
 * The agent's event queue bounds. Celery's own receivers use a 5 s TTL, which loses events the
 * moment a monitor stalls that long; ours keeps them 60 s, so a 5 s stall (a GC pause, a slow disk)
 * loses nothing. What bounds the broker's memory is the length: at most 100,000 messages and
 * 64 MiB (events are 0.5-2 KB; a `task.multi` batch more), i.e. about 5 s of a deployment sending
 * 20,000 event messages a second, far above what the bench's busiest run sends. Past either
 * bound the oldest are dropped (drop-head): the newest say more about the workers' state now.
 */
export const EVENT_QUEUE_ARGUMENTS = {
  "x-message-ttl": 60_000,
  "x-max-length": 100_000,
  "x-max-length-bytes": 64 * 1024 * 1024,
  "x-overflow": "drop-head",
} as const;

export class AmqpEventFeed implements EventFeed, ChannelRole {
  readonly name = "events";
  private readonly listeners: ((e: CeleryEvent) => void)[] = [];
  private readonly counts: Record<string, number> = {};
  /** Every worker hostname the events named: whose mailboxes pidboxWorkers() probes. */
  readonly heardWorkers = new Set<string>();
  private readonly limits: DecodeLimits;
  /** The current queue's name (fresh per connection), for tests and the health view. */
  queueName: string | null = null;
  private channel: Channel | null = null;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly exchange: string,
    private readonly vhost: string,
    limits?: DecodeLimits,
  ) {
    this.limits = limits ?? defaultDecodeLimits;
  }

  onEvent(listener: (e: CeleryEvent) => void): void {
    this.listeners.push(listener);
  }

  rejected(): Record<string, number> {
    return { ...this.counts };
  }

  /** Counts a rejection by reason (remote control shares the tally, as on Redis). */
  count(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  async setup(ch: Channel): Promise<void> {
    // Passive: a 404 closes this channel and the connection retries the role in a few seconds.
    await ch.checkExchange(this.exchange);
    const q = `celerypanel.ev.${randomUUID()}`;
    await ch.assertQueue(q, { exclusive: true, durable: false, autoDelete: true, arguments: { ...EVENT_QUEUE_ARGUMENTS } });
    await ch.bindQueue(q, this.exchange, "#");
    // null: the broker cancelled the consumer (the queue was deleted under us): close the channel,
    // and the connection sets the feed up again on a fresh one with a fresh queue.
    await ch.consume(q, (m) => (m ? this.onMessage(m) : void ch.close().catch(() => undefined)), { noAck: true });
    this.queueName = q;
    this.channel = ch;
    this.connection.note("events", null);
  }

  onSetupError(e: unknown): void {
    this.queueName = null;
    const absent = closeCode(e) === 404;
    this.connection.note(
      "events",
      absent
        ? `the ${this.exchange} exchange does not exist on vhost "${this.vhost}" yet (no worker has run here): no events until one does; checking again every ${ROLE_RETRY_MS / 1000} s`
        : `cannot follow events: ${errorText(e)}`,
    );
  }

  onLost(channel?: Channel): void {
    if (channel && channel !== this.channel) return;
    this.queueName = null;
    this.channel = null;
  }

  private onMessage(m: ConsumeMessage): void {
    const p = m.properties;
    const decoded = decodeNativeBody({ body: m.content, contentType: p.contentType, contentEncoding: p.contentEncoding, headers: p.headers }, this.limits);
    if (!decoded.ok) {
      this.count(decoded.reason);
      return;
    }
    const events = eventsFromBody(decoded.body, Date.now(), (why) => this.count(why));
    for (const e of events) {
      if (WORKER_EVENTS.has(e.type)) this.heardWorkers.add(e.hostname);
      for (const l of this.listeners) {
        try {
          l(e);
        } catch {
          this.count("event_handler_error");
        }
      }
    }
  }
}
