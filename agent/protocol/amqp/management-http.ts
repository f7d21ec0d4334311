/**
 * GETs from RabbitMQ's management HTTP API, read-only: basic auth from the URL's credentials (else
 * the broker's), TLS verified unless told otherwise, a timeout, and errors that say what is wrong
 * (the user refused, the vhost not found, the host and port that refused) with every password masked.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { maskUrl } from "../../base/mask";
import { BrokerUnavailable } from "../transport";

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

export interface ManagementHttpOptions {
  /** http(s)://[user:password@]host:port[/path prefix] */
  url: string;
  /** Named in errors (403, 404). */
  vhost: string;
  /** The broker URL's credentials, used when `url` has none. */
  user?: string;
  password?: string;
  /** false: do not verify the server's certificate (--broker-api-insecure). Default true. */
  verifyTls?: boolean;
  /** PEM certificate authorities to trust instead of the system's. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

/** Bodies larger than this are refused: 1,000 queues take about 200 kB. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class ManagementHttp {
  /** e.g. "http://guest:********@127.0.0.1:15672" */
  readonly description: string;
  private readonly base: URL;
  /** The path the API is served under ("" at the root, "/rabbitmq" behind a proxy). */
  private readonly prefix: string;
  private readonly authorization: string | null;
  private readonly user: string | null;

  constructor(private readonly opts: ManagementHttpOptions) {
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
  }

  /** GET a JSON list, paginated or not (a paginated answer is an object with `items` and `page_count`). */
  async getList(path: string): Promise<Record<string, unknown>[]> {
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

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A count from the API: 0 when absent. */
export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
