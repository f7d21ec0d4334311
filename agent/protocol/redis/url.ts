/**
 * Redis URLs as Celery and kombu read them: redis://, rediss://, redis+socket:// (and unix://),
 * and sentinel:// lists separated by ';'. Passwords may be percent-encoded.
 */
import { maskUrl } from "../../base/mask";

export interface RedisEndpoint {
  host: string;
  port: number;
}

export interface RedisTarget {
  kind: "tcp" | "socket" | "sentinel";
  /** tcp: one endpoint; sentinel: every sentinel listed. */
  endpoints: RedisEndpoint[];
  socketPath?: string;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** rediss:// ssl_cert_reqs: "required" (default), "optional" or "none". */
  tlsVerify: "required" | "optional" | "none";
}

export class RedisUrlError extends Error {}

const SCHEMES = new Set(["redis:", "rediss:", "redis+socket:", "unix:", "socket:", "sentinel:"]);

export function parseRedisUrl(url: string): RedisTarget {
  const parts = url
    .split(";")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new RedisUrlError("empty Redis URL");
  const first = parseOne(parts[0]!);
  if (first.kind !== "sentinel") return first; // further ';' entries are failover alternates: the first is used
  for (const extra of parts.slice(1)) {
    const t = parseOne(extra);
    if (t.kind !== "sentinel") throw new RedisUrlError(`cannot mix sentinel:// with ${extra.split(":")[0]}:// URLs`);
    first.endpoints.push(...t.endpoints);
  }
  return first;
}

function parseOne(raw: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new RedisUrlError(`not a URL: ${maskUrl(raw)}`);
  }
  if (!SCHEMES.has(u.protocol)) {
    throw new RedisUrlError(`unsupported scheme ${u.protocol}// in ${maskUrl(raw)} (expected redis://, rediss://, redis+socket:// or sentinel://)`);
  }
  const username = u.username ? unquote(u.username) : undefined;
  const password = u.password ? unquote(u.password) : undefined;
  const params = u.searchParams;
  const tlsVerify = parseCertReqs(params.get("ssl_cert_reqs"));
  if (u.protocol === "redis+socket:" || u.protocol === "unix:" || u.protocol === "socket:") {
    if (!u.pathname) throw new RedisUrlError("socket URL has no path");
    const db = parseDb(params.get("virtual_host") ?? params.get("db") ?? "0", raw);
    return { kind: "socket", endpoints: [], socketPath: unquote(u.pathname), username, password, db, tls: false, tlsVerify };
  }
  if (!u.hostname) throw new RedisUrlError(`no host in ${maskUrl(raw)}`);
  const defaultPort = u.protocol === "sentinel:" ? 26379 : 6379;
  const port = u.port ? Number(u.port) : defaultPort;
  const dbText = u.pathname.replace(/^\//, "") || params.get("db") || "0";
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    kind: u.protocol === "sentinel:" ? "sentinel" : "tcp",
    endpoints: [{ host, port }],
    username,
    password,
    db: parseDb(dbText, raw),
    tls: u.protocol === "rediss:",
    tlsVerify,
  };
}

/** Percent-decoding that, like Python's unquote, keeps a '%' that starts no escape. */
function unquote(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%[0-9a-f]{2}/gi, (x) => String.fromCharCode(parseInt(x.slice(1), 16)));
  }
}

function parseDb(text: string, raw: string): number {
  if (!/^\d+$/.test(text)) throw new RedisUrlError(`database number "${text}" is not a whole number in ${maskUrl(raw)}`);
  return Number(text);
}

function parseCertReqs(v: string | null): RedisTarget["tlsVerify"] {
  const s = (v ?? "required").toLowerCase().replace(/^cert_/, "");
  if (s === "required" || s === "optional" || s === "none") return s;
  throw new RedisUrlError(`ssl_cert_reqs must be required, optional or none, not "${v}"`);
}

/** The URL to show: secrets masked, and what kind of connection it is. */
export function describeTarget(url: string): string {
  return maskUrl(url);
}
