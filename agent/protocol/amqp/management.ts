/**
 * The RabbitMQ management HTTP API (`--broker-api`): the only way to list every queue of a vhost,
 * including ones no worker consumes and nobody has named, with unacknowledged counts and arguments
 * (AMQP 0-9-1 cannot list queues). Read-only: GET requests only.
 *
 * Queues are read with `disable_stats=true&enable_queue_totals=true` and `columns=`: the counts come
 * from the queues themselves (fresh, not the 5 s statistics sample) and the payload stays small, so
 * 1,000 queues are one quick request. Consumers come from `/api/consumers/<vhost>`, which says which
 * connection holds each: a Celery worker consumes its task queues and its mailbox
 * (`<worker>.celery.pidbox`) on one connection, so the mailbox names the worker of each consumer.
 */
import type { ExchangeBinding, QueueDepth } from "../transport";
import { isObject, ManagementHttp, ManagementApiError, num, type ManagementHttpOptions } from "./management-http";

export { ManagementApiError };

export interface ManagedQueue {
  name: string;
  /** Messages waiting to be delivered. */
  ready: number;
  /** Delivered to a consumer, not yet acknowledged. */
  unacknowledged: number;
  consumers: number;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  /** x-max-priority, x-queue-type, x-message-ttl, x-expires, x-max-length... as declared. */
  arguments: Record<string, unknown>;
  /** classic, quorum or stream. */
  type: string;
}

export interface QueueConsumer {
  queue: string;
  consumerTag: string;
  /** The broker's name of the consumer's connection, e.g. "127.0.0.1:50312 -> 127.0.0.1:5672". */
  connection: string;
  channel: number | null;
  /** The Celery worker holding that connection, when its mailbox is consumed on it. */
  worker: string | null;
  prefetch: number | null;
}

export interface ManagementApiOptions extends ManagementHttpOptions {
  /** How long one queue listing answers queueDepths() and bindings() before it is read again. */
  depthsFreshMs?: number;
}

const QUEUE_COLUMNS = "name,messages_ready,messages_unacknowledged,consumers,durable,auto_delete,exclusive,arguments,type";
const MAILBOX_SUFFIX = ".celery.pidbox";
const REPLY_MAILBOX_SUFFIX = ".reply.celery.pidbox";

export class ManagementApi {
  /** e.g. "http://guest:********@127.0.0.1:15672" */
  readonly description: string;
  private readonly http: ManagementHttp;
  private readonly vhostPath: string;
  private listing: { at: number; queues: Promise<ManagedQueue[]> } | null = null;

  constructor(private readonly opts: ManagementApiOptions) {
    this.http = new ManagementHttp(opts);
    this.description = this.http.description;
    this.vhostPath = encodeURIComponent(opts.vhost);
  }

  /** Every queue of the vhost, fresh from the broker. */
  async queues(): Promise<ManagedQueue[]> {
    const [rows, consumers] = await Promise.all([
      this.http.getList(`/api/queues/${this.vhostPath}?disable_stats=true&enable_queue_totals=true&columns=${QUEUE_COLUMNS}`),
      this.consumers().catch(() => null),
    ]);
    const consumerCounts = new Map<string, number>();
    for (const c of consumers ?? []) consumerCounts.set(c.queue, (consumerCounts.get(c.queue) ?? 0) + 1);
    return rows.map((r) => {
      const name = str(r.name);
      return {
        name,
        ready: num(r.messages_ready),
        unacknowledged: num(r.messages_unacknowledged),
        // The queue's own count when the listing gives it; else the consumers listed on it.
        consumers: typeof r.consumers === "number" ? r.consumers : (consumerCounts.get(name) ?? 0),
        durable: r.durable === true,
        autoDelete: r.auto_delete === true,
        exclusive: r.exclusive === true,
        arguments: isObject(r.arguments) ? r.arguments : {},
        type: typeof r.type === "string" ? r.type : "classic",
      };
    });
  }

  /** Every consumer of the vhost, with the worker holding it where its mailbox tells. */
  async consumers(): Promise<QueueConsumer[]> {
    const rows = await this.http.getList(`/api/consumers/${this.vhostPath}?columns=queue.name,consumer_tag,channel_details,prefetch_count`);
    const parsed = rows.map((r) => {
      const details = isObject(r.channel_details) ? r.channel_details : {};
      return {
        queue: isObject(r.queue) ? str(r.queue.name) : "",
        consumerTag: str(r.consumer_tag),
        connection: str(details.connection_name),
        channel: typeof details.number === "number" ? details.number : null,
        worker: null as string | null,
        prefetch: typeof r.prefetch_count === "number" ? r.prefetch_count : null,
      };
    });
    const workerOf = new Map<string, string>();
    for (const c of parsed) {
      if (c.queue.endsWith(MAILBOX_SUFFIX) && !c.queue.endsWith(REPLY_MAILBOX_SUFFIX) && c.connection) {
        workerOf.set(c.connection, c.queue.slice(0, -MAILBOX_SUFFIX.length));
      }
    }
    for (const c of parsed) c.worker = workerOf.get(c.connection) ?? null;
    return parsed;
  }

  /**
   * Bindings of exchanges to queues. The default exchange's implicit binding is given only for a
   * queue bound nowhere else, so that every queue of the vhost is named; exclusive queues (another
   * client's own: a monitor's, a caller's reply queue) are never task queues and are left out.
   */
  async bindings(): Promise<ExchangeBinding[]> {
    const [rows, queues] = await Promise.all([
      this.http.getList(`/api/bindings/${this.vhostPath}?columns=source,destination,destination_type,routing_key`),
      this.cachedQueues(),
    ]);
    const explicit = rows
      .filter((r) => r.destination_type === "queue" && str(r.source) !== "")
      .map((r) => ({ exchange: str(r.source), routingKey: str(r.routing_key), pattern: "", queue: str(r.destination) }));
    const bound = new Set(explicit.map((b) => b.queue));
    const defaultOnly = queues.filter((q) => !q.exclusive && !bound.has(q.name)).map((q) => ({ exchange: "", routingKey: q.name, pattern: "", queue: q.name }));
    return [...explicit, ...defaultOnly];
  }

  /**
   * Ready messages of the named queues, from one listing shared by calls within `depthsFreshMs`.
   * A queue the broker does not have is left out. RabbitMQ counts a priority queue as one: no split by priority.
   * With unacknowledged counts, consumers, arguments and type: all the listing says.
   */
  async queueDepths(names: string[]): Promise<Map<string, QueueDepth>> {
    const byName = new Map((await this.cachedQueues()).map((q) => [q.name, q]));
    const out = new Map<string, QueueDepth>();
    for (const name of names) {
      const q = byName.get(name);
      if (!q) continue;
      out.set(name, {
        messages: q.ready,
        byPriority: [],
        consumers: q.consumers,
        exists: true,
        unacknowledged: q.unacknowledged,
        arguments: q.arguments,
        queueType: q.type,
      });
    }
    return out;
  }

  /** The queue listing, shared by the calls within `depthsFreshMs` (bindings and depths of one request). */
  private cachedQueues(): Promise<ManagedQueue[]> {
    const fresh = this.opts.depthsFreshMs ?? 1000;
    if (!this.listing || Date.now() - this.listing.at > fresh) {
      const queues = this.queues();
      this.listing = { at: Date.now(), queues };
      queues.catch(() => (this.listing = null));
    }
    return this.listing.queues;
  }
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/**
 * The management API for a broker: `api` as the options give it (--broker-api and its TLS
 * options), the vhost and, when the API URL has none, the credentials of the broker's URL.
 */
export function openManagementApi(
  api: { url: string; verifyTls: boolean; ca: string | null },
  broker: { vhost: string; username: string; password: string },
): ManagementApi {
  return new ManagementApi({
    url: api.url,
    vhost: broker.vhost,
    user: broker.username,
    password: broker.password,
    verifyTls: api.verifyTls,
    ca: api.ca ?? undefined,
  });
}
