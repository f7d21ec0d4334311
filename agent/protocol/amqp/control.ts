/**
 * Celery remote control on RabbitMQ, as Celery's own client does it (kombu/pidbox.py): a reply
 * queue of the agent's own (exclusive, non-durable, auto-delete, fresh per connection) bound to the
 * `reply.celery.pidbox` direct exchange with the agent's oid as routing key; requests published to
 * the `celery.pidbox` fanout exchange with the same JSON body as on Redis (protocol/control.ts);
 * replies matched by their `ticket` header. Only the read-only methods of protocol/control.ts exist.
 *
 * `reply.celery.pidbox` is declared by every worker when it first replies, and by Celery's own
 * client (`celery inspect`, and a worker's start-up mingle) before it listens; a worker started
 * `--without-mingle` that was never asked anything has none. The agent then declares it exactly as
 * Celery's client does (direct, non-durable, not auto-delete): binding to it is impossible
 * otherwise, and that is what `celery inspect` would do against the same broker.
 */
import { randomUUID } from "node:crypto";
import type { Channel, ConsumeMessage } from "amqplib";
import { buildControlRequest, readControlReply, ReplyCollector, type ReadOnlyControlMethod } from "../control";
import { defaultDecodeLimits, type DecodeLimits } from "../envelope";
import { decodeNativeEnvelope } from "../native-message";
import { BrokerUnavailable, type BroadcastOptions, type BroadcastResult } from "../transport";
import { closeCode, errorText, type AmqpConnection, type ChannelRole } from "./connection";

/**
 * Header numbers with their AMQP types spelled out, as py-amqp (Celery's client) writes them: `I` for
 * an integer, `d` for a fraction. Left to guess, amqplib writes 128 to 32767 as `s`, RabbitMQ's
 * 16-bit integer, which py-amqp reads as a short string: the worker then fails to decode the request
 * and its consumer stops (seen once the request clock passed 127).
 */
function typedForPyAmqp(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== "number") out[key] = value;
    else if (!Number.isInteger(value)) out[key] = { "!": "double", value };
    else out[key] = { "!": Math.abs(value) < 2 ** 31 ? "int" : "long", value };
  }
  return out;
}

interface Pending {
  ticket: string;
  collector: ReplyCollector;
  /** Called when the collector may be complete. */
  wake(): void;
}

export class AmqpRemoteControl implements ChannelRole {
  readonly name = "remote control";
  private readonly pidbox: string;
  private readonly replyExchange: string;
  /** The agent's oid: the routing key replies come back with; fresh per connection. */
  private oid: string | null = null;
  private channel: Channel | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly limits: DecodeLimits;
  /** Why the last setup failed, when not for want of celery.pidbox. */
  private setupError: string | null = null;

  constructor(
    private readonly connection: AmqpConnection,
    namespace: string,
    private readonly vhost: string,
    private readonly count: (reason: string) => void,
    limits?: DecodeLimits,
  ) {
    this.pidbox = `${namespace}.pidbox`;
    this.replyExchange = `reply.${this.pidbox}`;
    this.limits = limits ?? defaultDecodeLimits;
  }

  async setup(ch: Channel): Promise<void> {
    // Without celery.pidbox no worker has run: nothing to ask, no reply exchange to declare yet
    // (this 404 closes the channel; the connection tries again in a few seconds).
    await ch.checkExchange(this.pidbox);
    if (!(await this.exchangeExists(this.replyExchange))) {
      await ch.assertExchange(this.replyExchange, "direct", { durable: false, autoDelete: false });
    }
    const oid = randomUUID();
    const q = `celerypanel.reply.${oid}`;
    await ch.assertQueue(q, { exclusive: true, durable: false, autoDelete: true });
    await ch.bindQueue(q, this.replyExchange, oid);
    // null: the broker cancelled the consumer (queue deleted): a fresh channel and queue, as for events.
    await ch.consume(q, (m) => (m ? this.onReply(m) : void ch.close().catch(() => undefined)), { noAck: true });
    this.oid = oid;
    this.channel = ch;
    this.setupError = null;
  }

  onSetupError(e: unknown): void {
    this.setupError = closeCode(e) === 404 ? null : errorText(e);
  }

  onLost(channel?: Channel): void {
    if (channel && channel !== this.channel) return;
    this.oid = null;
    this.channel = null;
    for (const p of this.pending.values()) p.wake();
  }

  async broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    const started = performance.now();
    const blocked = this.connection.blockedReason();
    if (blocked) throw new BrokerUnavailable(`the broker blocked the agent's connection (${blocked}): remote control cannot publish`);
    if (!this.channel || !this.oid) {
      // Connected but not set up: celery.pidbox did not exist at connect time. Check again now.
      if (!(await this.exchangeExists(this.pidbox))) {
        return {
          replies: new Map(),
          early: false,
          elapsedMs: performance.now() - started,
          note: `no worker has run on vhost "${this.vhost}" yet: the ${this.pidbox} exchange does not exist`,
        };
      }
      await this.connection.refreshRole(this);
      if (!this.channel || !this.oid) throw new BrokerUnavailable(`remote control is not ready on this connection: ${this.setupError ?? "setting up"}`);
    }
    const channel: Channel = this.channel;
    const oid: string = this.oid;
    const req = buildControlRequest(method, args, this.replyExchange, oid, opts.destination, opts.timeoutMs);
    const collector = new ReplyCollector(opts.destination, opts.expect);
    let wake = () => {};
    const entry: Pending = { ticket: req.ticket, collector, wake: () => wake() };
    this.pending.set(req.ticket, entry);
    try {
      try {
        channel.publish(this.pidbox, "", Buffer.from(JSON.stringify(req.body)), {
          contentType: "application/json",
          contentEncoding: "utf-8",
          headers: typedForPyAmqp(req.headers),
          deliveryMode: 1,
        });
      } catch (e) {
        throw new BrokerUnavailable(`cannot publish the request: ${errorText(e)}`); // the channel closed meanwhile
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, opts.timeoutMs - (performance.now() - started)));
        wake = () => {
          if (collector.complete || this.channel !== channel) {
            clearTimeout(timer);
            resolve();
          }
        };
        wake();
      });
    } finally {
      this.pending.delete(req.ticket);
    }
    return { replies: collector.replies, early: collector.complete, elapsedMs: performance.now() - started };
  }

  private onReply(m: ConsumeMessage): void {
    const p = m.properties;
    const decoded = decodeNativeEnvelope({ body: m.content, contentType: p.contentType, contentEncoding: p.contentEncoding, headers: p.headers }, this.limits);
    if (!decoded.ok) {
      this.count(`reply_${decoded.reason}`);
      return;
    }
    const ticket = decoded.envelope.headers.ticket;
    const entry = typeof ticket === "string" ? this.pending.get(ticket) : undefined;
    const entries = entry ? readControlReply(decoded.envelope, entry.ticket) : null;
    // A reply after its call ended (a slow worker) is expected, not junk: only a malformed one counts.
    if (!entry) {
      if (typeof ticket !== "string") this.count("reply_wrong_ticket");
      return;
    }
    if (!entries) {
      this.count("reply_not_object");
      return;
    }
    for (const [worker, reply] of entries) entry.collector.add(worker, reply);
    entry.wake();
  }

  private async exchangeExists(name: string): Promise<boolean> {
    try {
      await this.connection.withChannel((ch) => ch.checkExchange(name));
      return true;
    } catch (e) {
      if (closeCode(e) === 404) return false;
      throw e;
    }
  }
}
