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
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { maskUrl } from "../../base/mask";
import { BrokerUnavailable, type ExchangeBinding, type QueueDepth } from "../transport";

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

export interface ManagementApiOptions {
  /** http(s)://[user:password@]host:port[/path prefix] */
  url: string;
  vhost: string;
  /** The broker URL's credentials, used when `url` has none. */
  user?: string;
  password?: string;
  /** false: do not verify the server's certificate (--broker-api-insecure). Default true. */
  verifyTls?: boolean;
  /** PEM certificate authorities to trust instead of the system's. */
  ca?: string | Buffer;
  timeoutMs?: number;
  /** How long one queue listing answers queueDepths() before it is read again. */
  depthsFreshMs?: number;
}

/**
 * The management API could not answer: the message says why, with the password masked. A kind of
 * BrokerUnavailable, so a request that needed it is answered 503 with that message.
 */
export class ManagementApiError extends BrokerUnavailable {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

const QUEUE_COLUMNS = "name,messages_ready,messages_unacknowledged,consumers,durable,auto_delete,exclusive,arguments,type";
const MAILBOX_SUFFIX = ".celery.pidbox";
const REPLY_MAILBOX_SUFFIX = ".reply.celery.pidbox";
/** Bodies larger than this are refused: 1,000 queues take about 200 kB. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class ManagementApi {
  /** e.g. "http://guest:********@127.0.0.1:15672" */
  readonly description: string;
  private readonly base: URL;
  /** The path the API is served under ("" at the root, "/rabbitmq" behind a proxy). */
  private readonly prefix: string;
  private readonly authorization: string | null;
  private readonly user: string | null;
  private readonly vhostPath: string;
  private listing: { at: number; queues: Promise<ManagedQueue[]> } | null = null;

  constructor(private readonly opts: ManagementApiOptions) {
    let base: URL;
    try {
      base = new URL(opts.url);
    } catch {
      throw new ManagementApiError(`not a URL: ${maskUrl(opts.url)}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new ManagementApiError(`the management API is an http:// or https:// URL, not ${base.protocol}// (${maskUrl(opts.url)})`);
    }
    const user = base.username ? decodeURIComponent(base.username) : (opts.user ?? null);
    const password = base.username ? decodeURIComponent(base.password) : (opts.password ?? "");
    this.user = user;
    this.authorization = user === null ? null : `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    base.username = "";
    base.password = "";
    this.prefix = base.pathname.replace(/\/+$/, "");
    base.search = "";
    base.hash = "";
    this.base = base;
    this.description = maskUrl(opts.url.replace(/\/+$/, ""));
    this.vhostPath = encodeURIComponent(opts.vhost);
  }

  /** Every queue of the vhost, fresh from the broker. */
  async queues(): Promise<ManagedQueue[]> {
    const [rows, consumers] = await Promise.all([
      this.getList(`/api/queues/${this.vhostPath}?disable_stats=true&enable_queue_totals=true&columns=${QUEUE_COLUMNS}`),
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
    const rows = await this.getList(`/api/consumers/${this.vhostPath}?columns=queue.name,consumer_tag,channel_details,prefetch_count`);
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
      this.getList(`/api/bindings/${this.vhostPath}?columns=source,destination,destination_type,routing_key`),
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
   * A queue the broker does not have is left out. RabbitMQ has no per-priority split: one step.
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
        byPriority: [{ priority: 0, messages: q.ready }],
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

  /** GET a JSON list, paginated or not (a paginated answer is an object with `items` and `page_count`). */
  private async getList(path: string): Promise<Record<string, unknown>[]> {
    const body = await this.get(path);
    if (Array.isArray(body)) return body.filter(isObject);
    if (isObject(body) && Array.isArray(body.items)) {
      const pages = num(body.page_count);
      const rest = await Promise.all(
        Array.from({ length: Math.max(0, pages - 1) }, (_, i) => this.get(`${path}&page=${i + 2}&page_size=${num(body.page_size)}`)),
      );
      return [body, ...rest].flatMap((p) => (isObject(p) && Array.isArray(p.items) ? p.items.filter(isObject) : []));
    }
    throw new ManagementApiError(`${this.description}${path.split("?")[0]} did not answer a list: is this the RabbitMQ management API?`);
  }

  private get(path: string): Promise<unknown> {
    const url = new URL(`${this.base.origin}${this.prefix}${path}`);
    const where = `${this.base.host}`;
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.authorization) headers.authorization = this.authorization;
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: "GET", headers, timeout: timeoutMs, rejectUnauthorized: this.opts.verifyTls !== false, ca: this.opts.ca }, (res) => {
        readBody(res)
          .then((text) => resolve(this.parse(res, text)))
          .catch(reject);
      });
      req.on("timeout", () => req.destroy(new ManagementApiError(`the management API at ${where} did not answer within ${timeoutMs} ms`)));
      req.on("error", (e: NodeJS.ErrnoException) => reject(e instanceof ManagementApiError ? e : this.networkError(e, where)));
      req.end();
    });
  }

  private parse(res: IncomingMessage, text: string): unknown {
    const status = res.statusCode ?? 0;
    const at = `the management API at ${this.description}`;
    if (status === 401) {
      const who =
        this.user === null ? "no user given (put user:password in the URL)" : `user "${this.user}" was refused (wrong password, or no management tag)`;
      throw new ManagementApiError(`${at}: ${who}`, status);
    }
    if (status === 403) throw new ManagementApiError(`${at}: user "${this.user}" may not read vhost "${this.opts.vhost}" (403)`, status);
    if (status === 404) throw new ManagementApiError(`${at}: vhost "${this.opts.vhost}" not found (404)`, status);
    if (status < 200 || status >= 300) throw new ManagementApiError(`${at} answered ${status}: ${maskUrl(text.slice(0, 200))}`, status);
    try {
      return JSON.parse(text);
    } catch {
      throw new ManagementApiError(`${at} answered something other than JSON: is this the RabbitMQ management API?`, status);
    }
  }

  private networkError(e: NodeJS.ErrnoException, where: string): ManagementApiError {
    const code = e.code ?? "";
    if (code === "ECONNREFUSED")
      return new ManagementApiError(`the management API at ${where} refused the connection (is the management plugin on, and is this its port?)`);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new ManagementApiError(`the management API's host ${this.base.hostname} is not known (${code})`);
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
      return new ManagementApiError(
        `the management API at ${where}: TLS certificate not trusted (${code}); give its CA, or skip verification with --broker-api-insecure`,
      );
    }
    return new ManagementApiError(`the management API at ${where}: ${maskUrl(e.message)}${code ? ` (${code})` : ""}`);
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) res.destroy(new ManagementApiError(`the management API's answer is over ${MAX_BODY_BYTES} bytes`));
      else chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
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
