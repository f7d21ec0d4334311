/**
 * The one place a transport is chosen: the URL's scheme picks an entry of TRANSPORTS, which parses
 * its URLs and opens its broker, result backend and schedule stores. Everything above protocol/
 * goes through these functions and holds only the interfaces of transport.ts.
 */
import { maskUrl } from "../base/mask";
import type { BrokerTransport, PeriodicStore, ResultBackend } from "./transport";
import { RedisBroker } from "./redis/broker";
import { defaultTransportOptions as redisTransportOptions, type TransportOptions as RedisTransportOptions } from "./redis/keys";
import { RedBeatReader } from "./redis/redbeat";
import { RedisResultBackend } from "./redis/result-backend";
import { parseRedisUrl, RedisUrlError, type RedisTarget } from "./redis/url";
import { AmqpBroker } from "./amqp/broker";
import { openManagementApi } from "./amqp/management";
import type { ManagementSource } from "./amqp/queue-probe";
import { AMQP_ALIASES, AMQP_SCHEMES, AmqpUrlError, parseAmqpUrl, type AmqpTarget } from "./amqp/url";
import { DatabaseResultBackend } from "./database/result-backend";
import { DatabaseUrlError, isDatabaseBackendUrl, parseDatabaseBackendUrl, tablesFromConf, type DatabaseBackendTarget } from "./database/url";

/** Where a broker URL points, as its transport parsed it (one type per transport; `kind` tells them apart). */
export type BrokerTarget = RedisTarget | AmqpTarget;

/** Celery's broker_transport_options as the agent reads them (the Redis transport's keys). */
export type TransportOptions = RedisTransportOptions;
export const defaultTransportOptions: TransportOptions = redisTransportOptions;

/** RabbitMQ's management HTTP API as the options give it (--broker-api): the RabbitMQ transport opens it. */
export interface BrokerApiOption {
  /** http(s)://[user:password@]host:port; mask it (maskUrl) wherever it is shown. */
  url: string;
  /** false with --broker-api-insecure. */
  verifyTls: boolean;
  /** PEM of --broker-api-ca, trusted instead of the system's authorities. */
  ca: string | null;
}

/** What a broker may be given beside its URL. */
export interface BrokerExtras {
  /** RabbitMQ's management API (--broker-api); other transports ignore it. */
  brokerApi?: BrokerApiOption | null;
  /** A management API source given as is (tests), instead of one opened from brokerApi. */
  management?: ManagementSource | null;
}

/** A URL no transport reads: unknown scheme, or wrong for its transport. The message names no secret. */
export class BrokerUrlError extends Error {}

interface TransportEntry {
  /** As users know it, e.g. "Redis". */
  name: string;
  /** URL schemes without "://", the first one the usual one. */
  schemes: string[];
  /** Schemes also read, not advertised (aliases kombu accepts). */
  aliases?: string[];
  /** Throws BrokerUrlError on a URL this transport cannot read. */
  parse(url: string): BrokerTarget;
  openBroker(url: string, target: BrokerTarget, options: TransportOptions, extras: BrokerExtras): BrokerTransport;
  /** null: this transport is no result backend. */
  openResultBackend: ((url: string, target: BrokerTarget, options: TransportOptions) => ResultBackend) | null;
  /** Schedule stores kept on this broker (RedBeat on Redis), or null. */
  openPeriodicStore: ((broker: BrokerTransport) => PeriodicStore | null) | null;
}

const redis: TransportEntry = {
  name: "Redis",
  schemes: ["redis", "rediss", "redis+socket", "sentinel"],
  aliases: ["unix", "socket"],
  parse(url) {
    try {
      return parseRedisUrl(url);
    } catch (e) {
      throw e instanceof RedisUrlError ? new BrokerUrlError(e.message) : e;
    }
  },
  openBroker: (url, target, transportOptions) => new RedisBroker({ url, target: target as RedisTarget, transportOptions }),
  openResultBackend: (url, target, options) => new RedisResultBackend({ url, target: target as RedisTarget, masterName: options.master_name }),
  openPeriodicStore: (broker) => (broker instanceof RedisBroker ? new RedBeatReader(() => broker.commandConnection(), broker.description) : null),
};

const rabbitmq: TransportEntry = {
  name: "RabbitMQ",
  schemes: [...AMQP_SCHEMES],
  aliases: [...AMQP_ALIASES],
  parse(url) {
    try {
      return parseAmqpUrl(url);
    } catch (e) {
      throw e instanceof AmqpUrlError ? new BrokerUrlError(e.message) : e;
    }
  },
  openBroker: (url, target, _options, extras) => {
    const t = target as AmqpTarget;
    const management = extras.management ?? (extras.brokerApi ? openManagementApi(extras.brokerApi, t) : null);
    return new AmqpBroker({ url, target: t, management });
  },
  // Results on RabbitMQ (rpc://) go to the caller's own queue: no third party can read them.
  openResultBackend: null,
  openPeriodicStore: null,
};

/** Every transport, by scheme. Adding one is one entry here. */
const TRANSPORTS: readonly TransportEntry[] = [redis, rabbitmq];

/** The schemes a broker URL may have, e.g. ["redis://", "rediss://", "redis+socket://", "sentinel://"]. */
export function brokerSchemes(): string[] {
  return TRANSPORTS.flatMap((t) => t.schemes.map((s) => `${s}://`));
}

/** e.g. "redis://, rediss://, redis+socket:// or sentinel://" */
function supportedSchemes(): string {
  const all = brokerSchemes();
  return all.length > 1 ? `${all.slice(0, -1).join(", ")} or ${all.at(-1)}` : all.join("");
}

function transportFor(url: string): TransportEntry {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  if (!scheme) throw new BrokerUrlError(url.trim() ? `not a URL: ${maskUrl(url)}` : "empty broker URL");
  const entry = TRANSPORTS.find((t) => t.schemes.includes(scheme) || t.aliases?.includes(scheme));
  if (!entry) throw new BrokerUrlError(`unsupported scheme ${scheme}:// in ${maskUrl(url)} (expected ${supportedSchemes()})`);
  return entry;
}

/** Which transport reads `url`, by its usual scheme (as BrokerConnection.kind says it), e.g. "redis" or "amqp". */
export function brokerKind(url: string): string {
  return transportFor(url).schemes[0]!;
}

/** The name users know a transport by ("Redis", "RabbitMQ") from its kind (BrokerConnection.kind). */
export function transportName(kind: string): string {
  return TRANSPORTS.find((t) => t.schemes[0] === kind)?.name ?? kind;
}

/** Checks a broker URL and says where it points; throws BrokerUrlError naming the problem. */
export function parseBrokerUrl(url: string): BrokerTarget {
  return transportFor(url).parse(url);
}

/** Result backends whose results only the caller can read, by scheme, and why. */
const PRIVATE_RESULT_BACKENDS: Record<string, string> = {
  rpc: "rpc:// sends each result to the reply queue of the client that sent the task: no third party can read it (the agent relies on task events)",
  amqp: "amqp:// results go to queues of the client that sent the task: no third party can read them without taking them (the agent relies on task events)",
};

/**
 * Why the agent cannot read results kept at `url` (rpc://, amqp://: results sent to the caller's
 * own queues, which a monitor must never consume), or null for any other URL.
 */
export function privateResultBackend(url: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase() ?? "";
  return PRIVATE_RESULT_BACKENDS[scheme === "amqps" || scheme === "pyamqp" ? "amqp" : scheme] ?? null;
}

/** Where a result backend URL points: a broker's (Redis), or Celery's database backend (db+...). */
export type ResultBackendTarget = BrokerTarget | DatabaseBackendTarget;

/** Celery's database backend (db+sqlite://, db+postgresql://): a result backend that is no broker. */
function parseDatabaseBackend(url: string): DatabaseBackendTarget {
  try {
    return parseDatabaseBackendUrl(url);
  } catch (e) {
    throw e instanceof DatabaseUrlError ? new BrokerUrlError(e.message) : e;
  }
}

/** Checks a result backend URL: Celery's database backend, or a transport that is also a result backend. */
export function parseResultBackendUrl(url: string): ResultBackendTarget {
  if (isDatabaseBackendUrl(url)) return parseDatabaseBackend(url);
  const entry = transportFor(url);
  if (!entry.openResultBackend) throw new BrokerUrlError(`${entry.name} is not a result backend the agent reads: ${maskUrl(url)}`);
  return entry.parse(url);
}

/** The broker at `url`, not started. */
export function openBroker(url: string, options: TransportOptions = defaultTransportOptions, extras: BrokerExtras = {}): BrokerTransport {
  const entry = transportFor(url);
  return entry.openBroker(url, entry.parse(url), options, extras);
}

/**
 * The result backend at `url`, not started; `options`: the broker's transport options (Sentinel's
 * master name); `workerConf`: a worker's configuration, where it is known (the database backend's
 * table names: database_table_names, database_table_schemas).
 */
export function openResultBackend(
  url: string,
  options: TransportOptions = defaultTransportOptions,
  workerConf: Record<string, unknown> | null = null,
): ResultBackend {
  if (isDatabaseBackendUrl(url)) return new DatabaseResultBackend({ url, target: parseDatabaseBackend(url).db, tables: tablesFromConf(workerConf) });
  const entry = transportFor(url);
  if (!entry.openResultBackend) throw new BrokerUrlError(`${entry.name} is not a result backend the agent reads: ${maskUrl(url)}`);
  return entry.openResultBackend(url, entry.parse(url), options);
}

/** The periodic schedule kept on this broker (RedBeat on Redis), or null when its transport keeps none. */
export function openPeriodicStore(broker: BrokerTransport): PeriodicStore | null {
  return TRANSPORTS.find((t) => t.schemes[0] === broker.kind)?.openPeriodicStore?.(broker) ?? null;
}
