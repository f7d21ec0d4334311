/**
 * AMQP URLs as Celery and kombu read them (kombu/utils/url.py): amqp://, amqps://, and the aliases
 * pyamqp:// and librabbitmq:// (kombu maps both to an AMQP 0-9-1 client). The path minus its first
 * '/' is the vhost, URL-decoded: empty, "/" (from "//") or "%2F" all mean "/". User and password are
 * URL-decoded and may hold any character. Query options kombu passes on where they apply here:
 * heartbeat, connect_timeout, and for TLS ssl_cert_reqs, ssl_ca_certs, ssl_certfile, ssl_keyfile.
 */
import { maskUrl } from "../../base/mask";

export interface AmqpTarget {
  kind: "amqp";
  /** One endpoint (the shape every BrokerTarget has, so options.ts reads the host the same way). */
  endpoints: { host: string; port: number }[];
  vhost: string;
  username: string;
  password: string;
  tls: boolean;
  /** ssl_cert_reqs: "required" (default), "optional" or "none". */
  tlsVerify: "required" | "optional" | "none";
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  /** AMQP heartbeat in seconds (0 turns it off). */
  heartbeatSeconds: number;
  connectTimeoutMs: number;
}

export class AmqpUrlError extends Error {}

export const AMQP_SCHEMES = ["amqp", "amqps"] as const;
export const AMQP_ALIASES = ["pyamqp", "librabbitmq"] as const;

/** Quick enough to notice a dead broker behind a silent network, cheap on the broker. */
const DEFAULT_HEARTBEAT_S = 30;
/** kombu's default connect_timeout (seconds). */
const DEFAULT_CONNECT_TIMEOUT_S = 5;
const KNOWN_QUERY = new Set(["heartbeat", "connect_timeout", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl"]);

export function parseAmqpUrl(url: string): AmqpTarget {
  const raw = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (!scheme || !([...AMQP_SCHEMES, ...AMQP_ALIASES] as string[]).includes(scheme)) {
    throw new AmqpUrlError(`not an AMQP URL: ${maskUrl(raw)} (expected amqp://, amqps:// or pyamqp://)`);
  }
  // Read like kombu: the rest with HTTP URL rules, so a raw '@' or ':' in the password is kept whole.
  const rest = raw.slice(scheme.length + 3);
  const { authority, path, query } = splitRest(rest);
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : "";
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  const colon = userinfo.indexOf(":");
  const username = unquote(colon >= 0 ? userinfo.slice(0, colon) : userinfo) || "guest";
  const password = colon >= 0 ? unquote(userinfo.slice(colon + 1)) : at >= 0 ? "" : "guest";
  const { host, port: portText } = splitHostPort(hostport, raw);
  const params = new URLSearchParams(query);
  for (const k of params.keys()) {
    if (!KNOWN_QUERY.has(k)) throw new AmqpUrlError(`unknown option "${k}" in ${maskUrl(raw)} (known: ${[...KNOWN_QUERY].join(", ")})`);
  }
  const tls = scheme === "amqps" || truthy(params.get("ssl"));
  const port = portText ? Number(portText) : tls ? 5671 : 5672;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AmqpUrlError(`port "${portText}" is not a port number in ${maskUrl(raw)}`);
  const vhostText = path.startsWith("/") ? path.slice(1) : path;
  return {
    kind: "amqp",
    endpoints: [{ host: host || "localhost", port }],
    vhost: unquote(vhostText) || "/",
    username,
    password,
    tls,
    tlsVerify: parseCertReqs(params.get("ssl_cert_reqs")),
    caFile: params.get("ssl_ca_certs"),
    certFile: params.get("ssl_certfile"),
    keyFile: params.get("ssl_keyfile"),
    heartbeatSeconds: seconds("heartbeat", params.get("heartbeat"), DEFAULT_HEARTBEAT_S),
    connectTimeoutMs: seconds("connect_timeout", params.get("connect_timeout"), DEFAULT_CONNECT_TIMEOUT_S) * 1000,
  };
}

/** "user@host:port/vhost" with the vhost as RabbitMQ names it: how errors and the status name the target. */
export function describeAmqpTarget(t: AmqpTarget): string {
  const ep = t.endpoints[0]!;
  return `vhost "${t.vhost}" as user "${t.username}" on ${ep.host}:${ep.port}`;
}

function splitRest(rest: string): { authority: string; path: string; query: string } {
  const hash = rest.indexOf("#");
  const noFragment = hash >= 0 ? rest.slice(0, hash) : rest;
  const q = noFragment.indexOf("?");
  const beforeQuery = q >= 0 ? noFragment.slice(0, q) : noFragment;
  const query = q >= 0 ? noFragment.slice(q + 1) : "";
  // The authority runs to the first '/' after the last '@' (a '/' may sit in a raw password).
  const at = beforeQuery.lastIndexOf("@");
  const slash = beforeQuery.indexOf("/", at + 1);
  return slash >= 0 ? { authority: beforeQuery.slice(0, slash), path: beforeQuery.slice(slash), query } : { authority: beforeQuery, path: "", query };
}

function splitHostPort(hostport: string, raw: string): { host: string; port: string } {
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport);
  if (v6) return { host: v6[1]!, port: v6[2] ?? "" };
  const m = /^([^:]*)(?::(.*))?$/.exec(hostport)!;
  const port = m[2] ?? "";
  if (port && !/^\d+$/.test(port)) throw new AmqpUrlError(`port "${port}" is not a number in ${maskUrl(raw)}`);
  return { host: unquote(m[1]!), port };
}

function truthy(v: string | null): boolean {
  return v !== null && ["1", "true", "yes", "on"].includes(v.toLowerCase());
}

function seconds(name: string, v: string | null, def: number): number {
  if (v === null || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new AmqpUrlError(`${name} must be a number of seconds, not "${v}"`);
  return n;
}

function parseCertReqs(v: string | null): AmqpTarget["tlsVerify"] {
  const s = (v ?? "required").toLowerCase().replace(/^cert_/, "");
  if (s === "required" || s === "optional" || s === "none") return s;
  throw new AmqpUrlError(`ssl_cert_reqs must be CERT_REQUIRED, CERT_OPTIONAL or CERT_NONE, not "${v}"`);
}

/** Percent-decoding that, like Python's unquote, keeps a '%' that starts no escape. */
function unquote(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%[0-9a-f]{2}/gi, (x) => String.fromCharCode(parseInt(x.slice(1), 16)));
  }
}
