/**
 * Celery settings as a person reads them: units on numbers (Celery documents which settings are
 * seconds, milliseconds, kilobytes or counts), and Python reprs the conf reply carries as strings
 * (`1 day, 0:00:00` for a timedelta, `set()`) put in words. The raw value is always sent beside it.
 */

type Unit = "s" | "ms" | "KiB" | { count: string };

/** Units, from Celery's configuration reference. Settings not listed are shown as they are. */
const UNITS: Record<string, Unit> = {
  task_time_limit: "s",
  task_soft_time_limit: "s",
  result_expires: "s",
  broker_connection_timeout: "s",
  broker_heartbeat: "s",
  worker_lost_wait: "s",
  worker_proc_alive_timeout: "s",
  worker_timer_precision: "s",
  worker_soft_shutdown_timeout: "s",
  control_queue_expires: "s",
  control_queue_ttl: "s",
  event_queue_expires: "s",
  event_queue_ttl: "s",
  result_chord_join_timeout: "s",
  result_chord_retry_interval: "s",
  redis_socket_timeout: "s",
  redis_socket_connect_timeout: "s",
  redis_backend_health_check_interval: "s",
  beat_max_loop_interval: "s",
  beat_cron_starting_deadline: "s",
  azureblockblob_connection_timeout: "s",
  azureblockblob_read_timeout: "s",
  azureblockblob_retry_initial_backoff_sec: "s",
  cosmosdbsql_max_retry_wait_time: "s",
  cassandra_entry_ttl: "s",
  elasticsearch_timeout: "s",
  task_default_expires: "s",
  result_backend_base_sleep_between_retries_ms: "ms",
  result_backend_max_sleep_between_retries_ms: "ms",
  worker_max_memory_per_child: "KiB",
  worker_concurrency: { count: "processes or threads" },
  worker_prefetch_multiplier: { count: "messages per process" },
  worker_max_tasks_per_child: { count: "tasks" },
  broker_pool_limit: { count: "connections" },
  redis_max_connections: { count: "connections" },
  broker_connection_max_retries: { count: "retries" },
  result_backend_max_retries: { count: "retries" },
  elasticsearch_max_retries: { count: "retries" },
  azureblockblob_retry_max_attempts: { count: "attempts" },
  cosmosdbsql_max_retry_attempts: { count: "attempts" },
  result_cache_max: { count: "results" },
  beat_sync_every: { count: "tasks" },
  broker_heartbeat_checkrate: { count: "checks per heartbeat" },
};

/** What null (Python's None) or another special value means for a setting, where it is not "not set". */
const SPECIAL: Record<string, (v: unknown) => string | null> = {
  task_time_limit: (v) => (v === null ? "no limit" : null),
  task_soft_time_limit: (v) => (v === null ? "no limit" : null),
  result_expires: (v) => (v === null || v === 0 ? "never" : null),
  worker_max_tasks_per_child: (v) => (v === null ? "no limit" : null),
  worker_max_memory_per_child: (v) => (v === null ? "no limit" : null),
  worker_concurrency: (v) => (v === null || v === 0 ? "one per CPU" : null),
  broker_connection_max_retries: (v) => (v === null || v === 0 ? "retry forever" : null),
  result_backend_max_retries: (v) => (v === null || v === "Infinity" || v === Infinity ? "retry forever" : null),
  result_cache_max: (v) => (v === -1 ? "off" : null),
  broker_heartbeat: (v) => (v === 0 || v === null ? "off" : null),
  beat_max_loop_interval: (v) => (v === 0 ? "the scheduler's default" : null),
  broker_pool_limit: (v) => (v === null || v === 0 ? "no pool" : null),
  // Celery then uses task_default_queue's name (app/utils.py Settings.task_default_routing_key).
  task_default_routing_key: (v) => (v === null ? "not set: the default queue's name" : null),
  task_default_exchange: (v) => (v === null ? "not set: the default queue's name" : null),
  task_default_delivery_mode: (v) => (v === 2 ? "2 (persistent)" : v === 1 ? "1 (transient)" : null),
};

/** Python's `str(timedelta)`: `[-]D day[s], H:MM:SS[.ffffff]` or `H:MM:SS[.ffffff]`. */
const TIMEDELTA = /^(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/;

export function parseTimedelta(text: string): number | null {
  const m = TIMEDELTA.exec(text);
  if (!m) return null;
  return Number(m[1] ?? 0) * 86_400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

const trim = (n: number) => String(Number(n.toFixed(3)));

/** 90 -> "1 min 30 s", 86400 -> "1 day". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 60) return `${trim(seconds)} s`;
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, one, many] of [
    [86_400, "day", "days"],
    [3600, "h", "h"],
    [60, "min", "min"],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n} ${n === 1 ? one : many}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${trim(rest)} s`);
  return parts.join(" ");
}

/** `{'a', 'b'}` / `set()` / `frozenset({...})`: the items of a Python set repr of strings, or null. */
function parseSetRepr(text: string): string[] | null {
  if (text === "set()" || text === "frozenset()") return [];
  const m = /^(?:frozenset\()?\{((?:'[^']*'(?:, )?)+)\}\)?$/.exec(text);
  return m ? [...m[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!) : null;
}

/** A Python set repr with its items sorted (set order differs between processes), or the text itself. */
export function canonicalSetRepr(text: string): string {
  const items = parseSetRepr(text);
  return items
    ? `{${[...items]
        .sort()
        .map((i) => `'${i}'`)
        .join(", ")}}`
    : text;
}

function withUnit(n: number, unit: Unit): string {
  if (unit === "s") return n >= 120 ? `${trim(n)} s (${formatDuration(n)})` : `${trim(n)} s`;
  if (unit === "ms") return n >= 10_000 ? `${trim(n)} ms (${formatDuration(n / 1000)})` : `${trim(n)} ms`;
  if (unit === "KiB") return n >= 1024 ? `${trim(n)} KiB (${trim(n / 1024)} MiB)` : `${trim(n)} KiB`;
  return `${trim(n)} ${unit.count}`;
}

/**
 * The setting as words, or undefined when the raw value already reads well (a plain string, a
 * boolean, a number without unit).
 */
export function displaySetting(key: string, value: unknown): string | undefined {
  const special = SPECIAL[key]?.(value);
  if (special) return special;
  const unit = UNITS[key];
  if (typeof value === "number" && unit) return withUnit(value, unit);
  if (value === null) return "not set";
  if (typeof value === "string") {
    const td = parseTimedelta(value);
    if (td !== null) return formatDuration(td);
    const set = parseSetRepr(value);
    if (set) return set.length ? set.join(", ") : "none (empty set)";
    return undefined;
  }
  if (Array.isArray(value) && value.length === 0) return "none (empty list)";
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ");
  if (typeof value === "object" && value !== null && Object.keys(value).length === 0) return "none (empty)";
  return undefined;
}
