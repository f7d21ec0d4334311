/**
 * The agent's options: command line first, then environment variables, then defaults. Validated
 * with zod; a bad value stops the agent with one line naming the option.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { maskUrl } from "./base/mask";
import {
  brokerKind,
  type BrokerApiOption,
  BrokerUrlError,
  defaultTransportOptions,
  parseBrokerUrl,
  parseResultBackendUrl,
  privateResultBackend,
  brokerSchemes,
  type BrokerTarget,
  type ResultBackendTarget,
  type TransportOptions,
} from "./protocol/brokers";
import { DbUrlError, parseDbUrl, type DbTarget } from "./base/sql/db";
import { HistorySettingError, historySettings, type HistorySettings } from "./sources/history/settings";

export interface AgentOptions {
  broker: string;
  brokerTarget: BrokerTarget;
  resultBackend: string | null;
  resultBackendTarget: ResultBackendTarget | null;
  host: string;
  port: number;
  /** Sees everything. */
  token: string | null;
  /** See neither the Configuration view nor task payloads (see agent/handlers/access.ts). */
  limitedTokens: string[];
  /** Task payloads hidden for everyone, whatever the token. */
  redact: boolean;
  name: string;
  transportOptions: TransportOptions;
  inspectTimeoutMs: number;
  /** How long a task runs before the diagnostics may call it stuck (ms). */
  stuckAfterMs: number;
  /** How long a queue's depth must rise before it is said not to drain (ms). */
  trendWindowMs: number;
  maxTasks: number;
  allowedHosts: string[];
  /** One JSON object per log line instead of readable lines. */
  jsonLogs: boolean;
  /** django-celery-results' database: the tasks view reads its history from there. */
  tasksDb: DbTarget | null;
  /** django-celery-beat's database: the periodic-tasks view reads from there. */
  beatDb: DbTarget | null;
  /** RabbitMQ's management HTTP API (--broker-api): every queue of the vhost, unacked counts. */
  brokerApi: BrokerApiOption | null;
  /** The durable task history (sources/history/); null with --no-history. */
  history: HistorySettings | null;
}

interface OptionSpec {
  flag: string;
  env: string;
  help: string;
  default?: string;
  /** A switch: `--flag` alone means true (`--flag=false` turns it off). */
  boolean?: true;
  /** May be given several times; the environment variable holds a comma-separated list. */
  repeatable?: true;
}

export const OPTION_SPECS: OptionSpec[] = [
  { flag: "broker", env: "CELERY_BROKER_URL", default: "redis://127.0.0.1:6379/0", help: `Celery broker URL (${brokerSchemes().join(", ")})` },
  {
    flag: "result-backend",
    env: "CELERY_RESULT_BACKEND",
    help: "result backend URL: redis://, or db+sqlite:////path / db+postgresql:// (default: the workers' own result_backend when it has no password, else none)",
  },
  { flag: "host", env: "CELERY_PANEL_HOST", default: "127.0.0.1", help: "address to listen on" },
  { flag: "port", env: "CELERY_PANEL_PORT", default: "5580", help: "port to listen on" },
  { flag: "token", env: "CELERY_PANEL_TOKEN", help: "require Authorization: Bearer <token> on every /api request; this token sees everything" },
  {
    flag: "limited-token",
    env: "CELERY_PANEL_LIMITED_TOKENS",
    repeatable: true,
    help: "a token that sees neither the Configuration view nor task arguments, results, exception messages and tracebacks (repeatable; env: comma-separated)",
  },
  { flag: "redact", env: "CELERY_PANEL_REDACT", boolean: true, help: "hide task arguments, results, exception messages and tracebacks from every caller" },
  {
    flag: "name",
    env: "CELERY_PANEL_NAME",
    help: "name shown in the extension (default: the broker's host name, or this machine's when the broker is an IP address, loopback or a socket)",
  },
  {
    flag: "transport-options",
    env: "CELERY_PANEL_TRANSPORT_OPTIONS",
    help: "JSON, as Celery's broker_transport_options: global_keyprefix, priority_steps, sep, fanout_prefix, fanout_patterns, master_name",
  },
  { flag: "inspect-timeout", env: "CELERY_PANEL_INSPECT_TIMEOUT", default: "1000", help: "milliseconds to wait for workers' remote-control replies" },
  { flag: "stuck-after", env: "CELERY_PANEL_STUCK_AFTER", default: "60", help: "seconds a task runs past its usual runtime before findings call it stuck" },
  { flag: "trend-window", env: "CELERY_PANEL_TREND_WINDOW", default: "60", help: "seconds a queue's depth rises before findings say it does not drain" },
  { flag: "max-tasks", env: "CELERY_PANEL_MAX_TASKS", default: "100000", help: "tasks held in memory; the oldest finished go first" },
  { flag: "allowed-hosts", env: "CELERY_PANEL_ALLOWED_HOSTS", help: "comma-separated Host header names accepted besides loopback" },
  {
    flag: "tasks-db",
    env: "CELERY_PANEL_TASKS_DB",
    help: "django-celery-results database for task history: postgres://user:password@host/db or sqlite:///abs/path (read-only)",
  },
  {
    flag: "beat-db",
    env: "CELERY_PANEL_BEAT_DB",
    help: "django-celery-beat database for periodic tasks: postgres://user:password@host/db or sqlite:///abs/path (read-only)",
  },
  {
    flag: "broker-api",
    env: "CELERY_PANEL_BROKER_API",
    help: "RabbitMQ management API, http(s)://user:password@host:15672 (credentials default to the broker's): lists every queue of the vhost with unacked counts",
  },
  { flag: "broker-api-insecure", env: "CELERY_PANEL_BROKER_API_INSECURE", boolean: true, help: "do not verify the --broker-api server's TLS certificate" },
  { flag: "broker-api-ca", env: "CELERY_PANEL_BROKER_API_CA", help: "PEM file of the authorities that sign the --broker-api certificate" },
  {
    flag: "data-dir",
    env: "CELERY_PANEL_DATA_DIR",
    help: "directory of the task history, one SQLite file per broker (default $XDG_DATA_HOME/celery-panel, else ~/.local/share/celery-panel)",
  },
  {
    flag: "history",
    env: "CELERY_PANEL_HISTORY",
    help: "where the task history is kept: sqlite (the --data-dir file, default) or postgres://user:password@host/db (tables of its own, in schema celery_panel)",
  },
  { flag: "no-history", env: "CELERY_PANEL_NO_HISTORY", boolean: true, help: "keep no task history on disk: tasks live in memory only" },
  { flag: "retain", env: "CELERY_PANEL_RETAIN", default: "14d", help: "how long the history keeps a task, by its received time (s, m, h, d, w)" },
  {
    flag: "retain-failures",
    env: "CELERY_PANEL_RETAIN_FAILURES",
    help: "how long the history keeps failed tasks (FAILURE, LOST, REJECTED), when not --retain",
  },
  { flag: "retain-max-rows", env: "CELERY_PANEL_RETAIN_MAX_ROWS", default: "5000000", help: "most tasks the history keeps; the oldest go first" },
  { flag: "json", env: "CELERY_PANEL_JSON_LOGS", boolean: true, help: "log one JSON object per line (time, level, event, message, fields)" },
];

export class OptionError extends Error {}

const TransportOptionsSchema = z
  .strictObject({
    global_keyprefix: z.string().optional(),
    priority_steps: z.array(z.number().int().min(0).max(255)).min(1).optional(),
    sep: z.string().min(1).optional(),
    fanout_prefix: z.union([z.boolean(), z.string()]).optional(),
    fanout_patterns: z.boolean().optional(),
    unacked_key: z.string().min(1).optional(),
    unacked_index_key: z.string().min(1).optional(),
    visibility_timeout: z.number().positive().optional(),
    master_name: z.string().min(1).optional(),
  })
  // Celery accepts many other transport options (socket timeouts, retry policies...): they do not
  // change where things are, so they are accepted and ignored.
  .catchall(z.unknown());

export function helpText(): string {
  const lines = [
    "Usage: celery-panel-agent [options]",
    "",
    "A read-only Celery monitor: serves JSON for the Celery Panel extension.",
    "",
    "Options (each also from the environment variable shown):",
  ];
  for (const o of OPTION_SPECS) {
    const def = o.default ? ` (default ${o.default})` : "";
    const env = o.boolean ? `${o.env}=true` : o.repeatable ? `${o.env}=a,b` : o.env;
    lines.push(`  --${o.flag.padEnd(18)} ${o.help}${def}`, `  ${"".padEnd(20)} env ${env}`);
  }
  lines.push(`  --${"help".padEnd(18)} show this help`, `  --${"version".padEnd(18)} print the version`);
  return lines.join("\n");
}

/**
 * Reads argv (`--flag value` or `--flag=value`) into raw strings. node:util's parseArgs splits the
 * arguments; its tokens are then read in order (not strict), so that --help wins wherever it is,
 * the first mistake is the one reported, and each message names the option as it was given.
 */
export function readArgv(argv: string[]): Record<string, string> | "help" | "version" {
  const specs = new Map(OPTION_SPECS.map((o) => [o.flag, o]));
  const options = Object.fromEntries(OPTION_SPECS.map((o) => [o.flag, { type: o.boolean ? ("boolean" as const) : ("string" as const) }]));
  const { tokens } = parseArgs({
    args: argv,
    options: { ...options, help: { type: "boolean", short: "h" }, version: { type: "boolean" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: Record<string, string> = {};
  for (const t of tokens) {
    if (t.kind === "option" && (t.name === "help" || t.name === "version")) return t.name;
    if (t.kind !== "option" || !t.rawName.startsWith("--")) {
      throw new OptionError(`unexpected argument "${argv[t.index]}" (options start with --; see --help)`);
    }
    const spec = specs.get(t.name);
    if (!spec) throw new OptionError(`unknown option --${t.name} (see --help)`);
    const value = spec.boolean ? (t.value ?? "true") : t.value;
    if (value === undefined) throw new OptionError(`--${t.name} needs a value`);
    // A repeated option keeps every value, in the environment variable's comma-separated form.
    out[t.name] = spec.repeatable && out[t.name] !== undefined ? `${out[t.name]},${value}` : value;
  }
  return out;
}

function intOption(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new OptionError(`--${flag} must be a whole number, not "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new OptionError(`--${flag} must be between ${min} and ${max}, not ${n}`);
  return n;
}

function booleanOption(flag: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off", ""].includes(value)) return false;
  throw new OptionError(`--${flag} is a switch: true or false, not "${raw}"`);
}

/** The URL checked by the transport its scheme names (protocol/brokers.ts). */
function urlTarget<T>(flag: string, url: string, parse: (url: string) => T): T {
  try {
    return parse(url);
  } catch (e) {
    if (e instanceof BrokerUrlError) throw new OptionError(`--${flag}: ${e.message}`);
    throw e;
  }
}

function dbTarget(flag: string, url: string | undefined): DbTarget | null {
  if (url === undefined) return null;
  try {
    return parseDbUrl(url);
  } catch (e) {
    if (e instanceof DbUrlError) throw new OptionError(`--${flag}: ${e.message}`);
    throw e;
  }
}

export function resolveOptions(argv: Record<string, string>, env: NodeJS.ProcessEnv): AgentOptions {
  const raw = (flag: string): string | undefined => {
    const spec = OPTION_SPECS.find((o) => o.flag === flag)!;
    const v = argv[flag] ?? (env[spec.env] || undefined) ?? spec.default;
    return v === undefined ? undefined : v;
  };
  const broker = raw("broker")!;
  const brokerTarget = urlTarget("broker", broker, parseBrokerUrl);
  const resultBackend = raw("result-backend") ?? null;
  // rpc:// is accepted with no target: the agent starts, says why it reads no results, relies on events.
  const resultBackendTarget = resultBackend && !privateResultBackend(resultBackend) ? urlTarget("result-backend", resultBackend, parseResultBackendUrl) : null;
  let transportOptions = defaultTransportOptions;
  const to = raw("transport-options");
  if (to) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(to);
    } catch {
      throw new OptionError(`--transport-options is not valid JSON`);
    }
    const r = TransportOptionsSchema.safeParse(parsed);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new OptionError(`--transport-options: ${i.path.join(".") || "value"}: ${i.message}`);
    }
    const known = Object.fromEntries(Object.entries(r.data).filter(([k]) => k in defaultTransportOptions || k === "master_name"));
    transportOptions = { ...defaultTransportOptions, ...known } as TransportOptions;
  }
  const host = raw("host")!;
  if (!/^[\w.:\-[\]]+$/.test(host)) throw new OptionError(`--host "${host}" is not an address`);
  const token = raw("token") ?? null;
  if (token !== null && token.length < 8) throw new OptionError(`--token must be at least 8 characters`);
  const limitedTokens = [
    ...new Set(
      (raw("limited-token") ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  if (limitedTokens.some((t) => t.length < 8)) throw new OptionError(`--limited-token: each token must be at least 8 characters`);
  if (token !== null && limitedTokens.includes(token)) throw new OptionError(`--limited-token: the same token cannot also be the full --token`);
  if (!isLoopback(host) && token === null && limitedTokens.length === 0) {
    throw new OptionError(`refusing to listen on ${host} without --token (or --limited-token): anyone who can reach it would see task arguments`);
  }
  const allowedHosts = (raw("allowed-hosts") ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return {
    broker,
    brokerTarget,
    resultBackend,
    resultBackendTarget,
    host,
    port: intOption("port", raw("port")!, 0, 65535),
    token,
    limitedTokens,
    redact: booleanOption("redact", raw("redact") ?? "false"),
    name: raw("name") ?? defaultName(brokerTarget),
    transportOptions,
    inspectTimeoutMs: intOption("inspect-timeout", raw("inspect-timeout")!, 50, 60_000),
    stuckAfterMs: intOption("stuck-after", raw("stuck-after")!, 1, 86_400) * 1000,
    // Three depth samples, five seconds apart, are the least a trend rests on.
    trendWindowMs: intOption("trend-window", raw("trend-window")!, 10, 600) * 1000,
    maxTasks: intOption("max-tasks", raw("max-tasks")!, 100, 50_000_000),
    allowedHosts,
    jsonLogs: booleanOption("json", raw("json") ?? "false"),
    tasksDb: dbTarget("tasks-db", raw("tasks-db")),
    beatDb: dbTarget("beat-db", raw("beat-db")),
    brokerApi: brokerApiOption(raw, broker),
    history: historyOption(raw, broker, env),
  };
}

function historyOption(raw: (flag: string) => string | undefined, broker: string, env: NodeJS.ProcessEnv): HistorySettings | null {
  try {
    return historySettings(
      {
        dataDir: raw("data-dir"),
        noHistory: booleanOption("no-history", raw("no-history") ?? "false"),
        retain: raw("retain")!,
        retainFailures: raw("retain-failures"),
        retainMaxRows: raw("retain-max-rows")!,
        history: raw("history"),
      },
      broker,
      env,
    );
  } catch (e) {
    if (e instanceof HistorySettingError) throw new OptionError(e.message);
    throw e;
  }
}

/** --broker-api and its TLS options: an http(s) URL, only beside a RabbitMQ broker. */
function brokerApiOption(raw: (flag: string) => string | undefined, broker: string): BrokerApiOption | null {
  const url = raw("broker-api");
  const insecure = booleanOption("broker-api-insecure", raw("broker-api-insecure") ?? "false");
  const caFile = raw("broker-api-ca");
  if (url === undefined) {
    if (insecure || caFile !== undefined) throw new OptionError(`--broker-api-insecure and --broker-api-ca need --broker-api`);
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OptionError(`--broker-api: not a URL: ${maskUrl(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new OptionError(`--broker-api must be an http:// or https:// URL (RabbitMQ's management API), not ${maskUrl(url)}`);
  }
  if (brokerKind(broker) !== "amqp") {
    throw new OptionError(`--broker-api is RabbitMQ's management API: it needs an amqp:// broker, not ${maskUrl(broker)}`);
  }
  let ca: string | null = null;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, "utf8");
    } catch (e) {
      throw new OptionError(`--broker-api-ca: cannot read ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw new OptionError(`--broker-api-ca: ${caFile} holds no PEM certificate`);
  }
  return { url, verifyTls: !insecure, ca };
}

/**
 * The broker's host name when it has one that means something (`redis.prod.internal`), else this
 * machine's host name (the agent runs beside the deployment): an IP address, loopback or a Unix
 * socket path says nothing about which deployment this is. "local" if the machine has no name.
 */
export function defaultName(t: BrokerTarget, machine: string = hostname()): string {
  const host = t.kind === "socket" ? undefined : t.endpoints[0]?.host.replace(/^\[|\]$/g, "");
  if (host && !isLoopback(host) && isIP(host) === 0) return host;
  return machine.trim() || "local";
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}
