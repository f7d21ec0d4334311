/**
 * ioredis connections built from a parsed Redis URL, with the connection state Celery Panel reports.
 * Commands fail fast while Redis is away (no offline queue), so requests answer "unavailable" at once.
 */
import { Redis, type RedisOptions } from "ioredis";
import { BrokerUnavailable } from "../transport";
import type { RedisTarget } from "./url";
import { StatusTracker as SharedStatusTracker } from "../status";

export function redisOptions(target: RedisTarget, masterName: string | undefined, name: string): RedisOptions {
  const common: RedisOptions = {
    username: target.username,
    password: target.password,
    db: target.db,
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    // Reconnect quickly (the agent must be back within seconds of Redis returning), never give up.
    retryStrategy: (times) => Math.min(100 * times, 1000),
    tls: target.tls ? { rejectUnauthorized: target.tlsVerify === "required" } : undefined,
  };
  if (target.kind === "socket") return { ...common, path: target.socketPath };
  if (target.kind === "sentinel") {
    return { ...common, sentinels: target.endpoints, name: masterName ?? "mymaster", sentinelRetryStrategy: (t) => Math.min(100 * t, 1000) };
  }
  const ep = target.endpoints[0]!;
  return { ...common, host: ep.host, port: ep.port };
}

/** The shared StatusTracker, fed from an ioredis connection's events. */
export class StatusTracker extends SharedStatusTracker {
  /** Follow a connection's lifecycle events. */
  watch(conn: Redis): void {
    conn.on("ready", () => this.set("connected"));
    conn.on("error", (e: Error) => this.set("unavailable", describeRedisError(e)));
    conn.on("close", () => this.set("unavailable", this.get().error ?? "connection closed"));
    conn.on("reconnecting", () => {
      if (this.get().state !== "unavailable") this.set("unavailable", "reconnecting");
    });
  }
}

export function describeRedisError(e: Error): string {
  const msg = e.message || String(e);
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(msg)) return `authentication failed: ${msg.replace(/\s+/g, " ").slice(0, 160)}`;
  return msg.replace(/\s+/g, " ").slice(0, 200);
}

export function createConnection(target: RedisTarget, masterName: string | undefined, name: string): Redis {
  const conn = new Redis(redisOptions(target, masterName, name));
  // Errors are reported through StatusTracker on the main connection; without a listener ioredis
  // prints every failed reconnect of the others to stderr (and breaks --json logs).
  conn.on("error", () => undefined);
  return conn;
}

/** What ioredis says when the server is not there (refused, closed, no offline queue to wait in). */
const DISCONNECTED = /ECONNREFUSED|Connection is closed|Stream isn't writeable/i;

/** A command that failed because Redis is away fails as BrokerUnavailable, with ioredis's message. */
export async function unavailableWhenDisconnected<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Error && !(e instanceof BrokerUnavailable) && DISCONNECTED.test(e.message)) throw new BrokerUnavailable(e.message);
    throw e;
  }
}
