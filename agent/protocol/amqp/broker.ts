/**
 * kombu's AMQP transport as Celery uses it on RabbitMQ, read-only: one connection (connection.ts)
 * carrying the event feed (events.ts), remote control (control.ts) and the queue probes
 * (queue-probe.ts), each on channels of its own. The agent declares only its own exclusive,
 * auto-delete queues (events, replies) and, when no Celery client has yet, the reply exchange as
 * Celery's client would; Celery's exchanges are checked passively, task queues and mailboxes only
 * probed passively, never consumed.
 */
import { maskUrl } from "../../base/mask";
import type { ReadOnlyControlMethod } from "../control";
import type { DecodeLimits } from "../envelope";
import type { BroadcastOptions, BroadcastResult, BrokerTransport, ConnectionStatus, EventFeed, QueueInventory, RemoteControl } from "../transport";
import { AmqpConnection } from "./connection";
import { AmqpRemoteControl } from "./control";
import { AmqpEventFeed } from "./events";
import { AmqpQueueInventory, type ManagementSource } from "./queue-probe";
import type { AmqpTarget } from "./url";

export interface AmqpBrokerOptions {
  url: string;
  target: AmqpTarget;
  /** RabbitMQ's management HTTP API (--broker-api): lists every queue and binding when given. */
  management?: ManagementSource | null;
  /** Celery's control exchange namespace ("celery": celery.pidbox). */
  controlExchange?: string;
  eventExchange?: string;
  decodeLimits?: DecodeLimits;
}

export class AmqpBroker implements BrokerTransport, RemoteControl {
  readonly kind = "amqp" as const;
  readonly description: string;
  readonly events: EventFeed;
  readonly control: RemoteControl = this;
  readonly queues: QueueInventory;
  readonly connection: AmqpConnection;
  readonly feed: AmqpEventFeed;
  private readonly remote: AmqpRemoteControl;
  private readonly inventory: AmqpQueueInventory;
  private readonly mailboxSuffix: string;

  constructor(opts: AmqpBrokerOptions) {
    this.description = maskUrl(opts.url);
    this.connection = new AmqpConnection(opts.target);
    const namespace = opts.controlExchange ?? "celery";
    this.mailboxSuffix = `.${namespace}.pidbox`;
    this.feed = new AmqpEventFeed(this.connection, opts.eventExchange ?? "celeryev", opts.target.vhost, opts.decodeLimits);
    this.events = this.feed;
    this.remote = new AmqpRemoteControl(this.connection, namespace, opts.target.vhost, (r) => this.feed.count(r), opts.decodeLimits);
    this.inventory = new AmqpQueueInventory(this.connection, opts.management ?? null);
    this.queues = this.inventory;
    this.connection.addRole(this.feed);
    this.connection.addRole(this.remote);
  }

  status(): ConnectionStatus {
    return this.connection.tracker.get();
  }

  onStatus(listener: (s: ConnectionStatus) => void): void {
    this.connection.tracker.onChange(listener);
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  async broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    // Asked for workers while celeryev was still missing: look again now rather than at the next
    // periodic check, so events a worker sends from now on are not missed.
    if (!this.feed.queueName) await this.connection.refreshRole(this.feed);
    const r = await this.remote.broadcast(method, args, opts);
    for (const w of r.replies.keys()) this.feed.heardWorkers.add(w);
    return r;
  }

  /**
   * AMQP cannot list the mailboxes: the names the events and replies have told are probed
   * passively (`<name>.celery.pidbox`), and those that exist with a consumer are returned.
   */
  async pidboxWorkers(): Promise<string[]> {
    const names = [...this.feed.heardWorkers];
    const probes = await this.inventory.probe(names.map((n) => `${n}${this.mailboxSuffix}`));
    return names.filter((_, i) => probes[i]!.exists && probes[i]!.consumers > 0);
  }
}
