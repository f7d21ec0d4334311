/**
 * Celery's broker as kombu lays it out on Redis: events over pub/sub, remote control over a
 * fanout channel plus a reply list, queues as lists, bindings as sets. The only writes are the reply
 * binding and list that remote control needs, removed again after each call.
 *
 * The queues' contents (depths, waiting messages, unacked) are read by queue-reads.ts, over this
 * class's command connection.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { buildControlRequest, readControlReply, ReplyCollector, type ReadOnlyControlMethod } from "../control";
import { BodyDecoder, decodeEnvelope, encodeEnvelope, type DecodeLimits, defaultDecodeLimits } from "../envelope";
import { eventsFromBody, type CeleryEvent } from "../events";
import {
  BrokerUnavailable,
  type BroadcastOptions,
  type BroadcastResult,
  type BrokerTransport,
  type ConnectionStatus,
  type EventFeed,
  type ExchangeBinding,
  type QueueDepth,
  type MessagePeek,
  type QueueInventory,
  type UnackedReader,
  type RemoteControl,
} from "../transport";
import { BlockingPool } from "./blocking-pool";
import { createConnection, StatusTracker, unavailableWhenDisconnected } from "./connection";
import { BrokerKeys, type TransportOptions } from "./keys";
import { RedisQueueReads } from "./queue-reads";
import { maskUrl } from "../../base/mask";
import type { RedisTarget } from "./url";

export interface RedisBrokerOptions {
  url: string;
  target: RedisTarget;
  transportOptions: TransportOptions;
  controlExchange?: string;
  eventExchange?: string;
  decodeLimits?: DecodeLimits;
  /** Above this many unacked messages only the total is read (each entry holds a whole message). */
  unackedDetailLimit?: number;
}

const CONNECTION_NAME = "celery-panel";

/** kombu's Redis transport: every capability of the seam, each one this class. */
export class RedisBroker implements BrokerTransport, EventFeed, RemoteControl, QueueInventory {
  readonly kind = "redis" as const;
  readonly events: EventFeed = this;
  readonly control: RemoteControl = this;
  readonly queues: QueueInventory = this;
  readonly messagePeek: MessagePeek;
  readonly unackedReader: UnackedReader;
  private readonly reads: RedisQueueReads;
  readonly description: string;
  readonly keys: BrokerKeys;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly tracker = new StatusTracker();
  private readonly eventListeners: ((e: CeleryEvent) => void)[] = [];
  private readonly rejectedCounts: Record<string, number> = {};
  /** The connections broadcasts wait for replies on. */
  private readonly blocking: BlockingPool;
  private readonly pidbox: string;
  private readonly replyExchange: string;
  private readonly eventExchange: string;
  private readonly limits: DecodeLimits;
  /** Event envelopes: only their bodies are needed, and a worker's envelopes repeat around them. */
  private readonly eventBodies: BodyDecoder;
  private integerTimeouts = false;
  private closed = false;
  /** Reply bindings and lists of the broadcasts in flight: what close() must remove. */
  private readonly replyBindings = new Set<{ bindingSet: string; member: string; listKey: string }>();

  constructor(private readonly opts: RedisBrokerOptions) {
    this.description = maskUrl(opts.url);
    this.keys = new BrokerKeys(opts.transportOptions, opts.target.db, { sentinel: opts.target.kind === "sentinel" });
    this.pidbox = `${opts.controlExchange ?? "celery"}.pidbox`;
    this.replyExchange = `reply.${this.pidbox}`;
    this.eventExchange = opts.eventExchange ?? "celeryev";
    this.limits = opts.decodeLimits ?? defaultDecodeLimits;
    this.eventBodies = new BodyDecoder(this.limits);
    this.cmd = this.connect("cmd");
    this.reads = new RedisQueueReads({
      cmd: this.cmd,
      keys: this.keys,
      target: opts.target,
      limits: this.limits,
      unackedDetailLimit: opts.unackedDetailLimit ?? 5000,
      connected: () => this.status().state === "connected",
      reject: (reason) => this.count(reason),
      bulkName: `${CONNECTION_NAME}:bulk`,
    });
    this.messagePeek = this.reads;
    this.unackedReader = this.reads;
    this.sub = this.connect("events");
    this.blocking = new BlockingPool(
      () => this.connect("control"),
      () => (this.status().state === "connected" ? null : (this.status().error ?? "broker not connected")),
    );
    this.tracker.watch(this.cmd);
    this.cmd.on("ready", () => void this.detectServer());
    this.sub.on("pmessageBuffer", (_pattern: Buffer, _channel: Buffer, message: Buffer) => this.onEventMessage(message));
  }

  /** The command connection, for what lives on the same Redis beside the broker (RedBeat: brokers.ts). */
  commandConnection(): Redis {
    return this.cmd;
  }

  private connect(role: string): Redis {
    return createConnection(this.opts.target, this.opts.transportOptions.master_name, `${CONNECTION_NAME}:${role}`);
  }

  status(): ConnectionStatus {
    return this.tracker.get();
  }

  onStatus(listener: (s: ConnectionStatus) => void): void {
    this.tracker.onChange(listener);
  }

  onEvent(listener: (e: CeleryEvent) => void): void {
    this.eventListeners.push(listener);
  }

  rejected(): Record<string, number> {
    return { ...this.rejectedCounts };
  }

  async start(): Promise<void> {
    // Not awaited to completion on failure: the agent serves "unavailable" while ioredis keeps retrying.
    await Promise.allSettled([this.cmd.connect(), this.sub.connect()]);
    await this.sub.psubscribe(...this.keys.eventPatterns(this.eventExchange)).catch(() => undefined);
    // ioredis re-subscribes by itself after a reconnect, but not if the first subscribe never happened.
    this.sub.on("ready", () => {
      if (this.sub.mode !== "subscriber") void this.sub.psubscribe(...this.keys.eventPatterns(this.eventExchange)).catch(() => undefined);
    });
  }

  /**
   * Removes the reply bindings and lists of broadcasts still waiting (the agent's only writes must
   * not outlive it), then drops every connection; a broadcast waiting on a worker that never answers
   * does not hold this up.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.reads.close();
    await this.removeReplyBindings();
    const all = [this.cmd, this.sub, ...this.blocking.close()];
    await Promise.allSettled(all.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private async removeReplyBindings(): Promise<void> {
    if (!this.replyBindings.size || this.cmd.status !== "ready") return;
    const pipe = this.cmd.pipeline();
    for (const b of this.replyBindings) pipe.srem(b.bindingSet, b.member).del(b.listKey);
    this.replyBindings.clear();
    await pipe.exec().catch(() => undefined);
  }

  private count(reason: string): void {
    this.rejectedCounts[reason] = (this.rejectedCounts[reason] ?? 0) + 1;
  }

  private onEventMessage(message: Buffer): void {
    const decoded = this.eventBodies.decode(message);
    if (!decoded.ok) {
      this.count(decoded.reason);
      return;
    }
    const events = eventsFromBody(decoded.body, Date.now(), (why) => this.count(why));
    for (const e of events) {
      for (const l of this.eventListeners) {
        try {
          l(e);
        } catch {
          this.count("event_handler_error");
        }
      }
    }
  }

  private async detectServer(): Promise<void> {
    try {
      const info = await this.cmd.info("server");
      const major = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? "7");
      this.integerTimeouts = major < 6; // BRPOP takes fractional seconds from Redis 6 on
    } catch {
      /* keep the default */
    }
  }

  // --- remote control -------------------------------------------------------------------------

  broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    return unavailableWhenDisconnected(this.broadcastOnce(method, args, opts));
  }

  private async broadcastOnce(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    const started = performance.now();
    const replyId = randomUUID();
    const replyQueue = `${replyId}.${this.replyExchange}`;
    const bindingSet = this.keys.bindingKey(this.replyExchange);
    const member = this.keys.bindingMember({ routingKey: replyId, pattern: "", queue: replyQueue });
    const listKey = this.keys.key(replyQueue);
    const req = buildControlRequest(method, args, this.replyExchange, replyId, opts.destination, opts.timeoutMs);
    const collector = new ReplyCollector(opts.destination, opts.expect);
    if (this.closed) throw new BrokerUnavailable("agent is closing");
    const conn = await this.blocking.acquire();
    if (this.closed) {
      this.blocking.release(conn);
      throw new BrokerUnavailable("agent is closing");
    }
    const binding = { bindingSet, member, listKey };
    this.replyBindings.add(binding);
    try {
      await this.cmd.sadd(bindingSet, member);
      const envelope = encodeEnvelope(req.body, req.headers, { exchange: this.pidbox, routing_key: "" }, randomUUID());
      for (const channel of this.keys.fanoutChannels(this.pidbox)) await this.cmd.publish(channel, envelope);
      const deadline = started + opts.timeoutMs;
      while (!collector.complete) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        const wait = this.integerTimeouts ? Math.ceil(left / 1000) : Math.max(left / 1000, 0.001);
        const popped = await conn.brpopBuffer(listKey, wait.toFixed(3));
        if (!popped) break;
        const decoded = decodeEnvelope(popped[1], this.limits);
        if (!decoded.ok) {
          this.count(`reply_${decoded.reason}`);
          continue;
        }
        const entries = readControlReply(decoded.envelope, req.ticket);
        if (!entries) {
          this.count("reply_wrong_ticket");
          continue;
        }
        for (const [worker, reply] of entries) collector.add(worker, reply);
      }
    } catch (e) {
      // Closing mid-call: the binding is already gone (close removed it); the call just ends.
      if (!this.closed) throw e;
    } finally {
      this.blocking.release(conn);
      if (this.replyBindings.delete(binding))
        await this.cmd
          .pipeline()
          .srem(bindingSet, member)
          .del(listKey)
          .exec()
          .catch(() => undefined);
    }
    return { replies: collector.replies, early: collector.complete, elapsedMs: performance.now() - started };
  }

  // --- broker inventory -------------------------------------------------------------------------

  bindings(): Promise<ExchangeBinding[]> {
    return unavailableWhenDisconnected(this.bindingsNow());
  }

  private async bindingsNow(): Promise<ExchangeBinding[]> {
    const keys = await this.scanKeys(this.keys.bindingScanPattern);
    const pipe = this.cmd.pipeline();
    for (const k of keys) pipe.smembers(k);
    const results = (await pipe.exec()) ?? [];
    const out: ExchangeBinding[] = [];
    keys.forEach((k, i) => {
      const exchange = this.keys.exchangeOfBindingKey(k);
      const members = results[i]?.[1];
      if (exchange === null || !Array.isArray(members)) return;
      for (const m of members as string[]) {
        const b = this.keys.parseBindingMember(m);
        if (b) out.push({ exchange, ...b });
      }
    });
    return out;
  }

  pidboxWorkers(): Promise<string[]> {
    return unavailableWhenDisconnected(this.pidboxWorkersNow());
  }

  private async pidboxWorkersNow(): Promise<string[]> {
    const members = await this.cmd.smembers(this.keys.bindingKey(this.pidbox));
    const suffix = `.${this.pidbox}`;
    const names: string[] = [];
    for (const m of members) {
      const b = this.keys.parseBindingMember(m);
      if (b?.queue.endsWith(suffix)) names.push(b.queue.slice(0, -suffix.length));
    }
    return names;
  }

  queueDepths(queues: string[]): Promise<Map<string, QueueDepth>> {
    return this.reads.queueDepths(queues);
  }

  private async scanKeys(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.cmd.scan(cursor, "MATCH", pattern, "COUNT", 5000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== "0");
    return [...new Set(out)];
  }
}
