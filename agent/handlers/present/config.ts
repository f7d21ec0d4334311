/**
 * The config view's settings, grouped as the view shows them, with secrets masked, values in words
 * beside the raw ones (sources/config-display.ts), what the events show beside what conf says
 * (sources/config-observed.ts), and what Celery itself hid pointed out.
 */
import type { Setting } from "../../api/schema";
import { isSecretKey, MASK, maskSecrets } from "../../base/mask";
import { displaySetting } from "../../sources/config-display";
import type { Observation } from "../../sources/config-observed";

export type ConfigGroup = { id: string; title: string; settings: Setting[] };

const ROUTING = new Set([
  "task_queues",
  "task_routes",
  "task_default_queue",
  "task_default_exchange",
  "task_default_exchange_type",
  "task_default_routing_key",
  "task_default_delivery_mode",
  "task_queue_max_priority",
  "task_default_priority",
  "task_create_missing_queues",
  "task_inherit_parent_priority",
  "broker_transport_options",
]);
const EVENTS = new Set(["worker_send_task_events", "task_send_sent_event"]);

const GROUPS: { id: string; title: string; test: (k: string) => boolean }[] = [
  { id: "routing", title: "Queues and routing", test: (k) => ROUTING.has(k) },
  { id: "events", title: "Events", test: (k) => EVENTS.has(k) || k.startsWith("event_") },
  { id: "broker", title: "Broker", test: (k) => k.startsWith("broker_") },
  {
    id: "result_backend",
    title: "Result backend",
    test: (k) => k.startsWith("result_") || k.startsWith("redis_") || k.startsWith("database_") || k.startsWith("cache_") || k === "mongodb_backend_settings",
  },
  { id: "task", title: "Tasks", test: (k) => k.startsWith("task_") },
  { id: "worker", title: "Worker", test: (k) => k.startsWith("worker_") },
  { id: "beat", title: "Beat", test: (k) => k.startsWith("beat_") || k.startsWith("redbeat_") },
  {
    id: "general",
    title: "General",
    test: (k) => ["timezone", "enable_utc", "imports", "include", "accept_content", "deprecated_settings"].includes(k) || k.startsWith("security_"),
  },
  { id: "other", title: "Other settings", test: () => true },
];

/**
 * Settings whose name matches Celery's HIDDEN_SETTINGS pattern (KEY, DATABASE...) arrive as MASK
 * from the workers even when they name no secret. At their default, the value is Celery's
 * documented default (app/defaults.py), so it is shown; set to anything else it stays masked: the
 * agent never guesses what Celery hid. Secret names (broker_password...) are not listed.
 */
const CELERY_HIDDEN_DEFAULTS: Record<string, unknown> = {
  task_default_routing_key: null,
  database_table_names: null,
  database_table_schemas: null,
  database_engine_options: null,
  database_short_lived_sessions: false,
  cassandra_keyspace: null,
  cosmosdbsql_database_name: "celerydb",
};

/** Whether Celery masked something in `raw` (a routing_key inside task_routes...) that names no secret. */
function hiddenByCelery(raw: unknown, key: string | null, depth = 0): boolean {
  if (raw === MASK) return key !== null && !isSecretKey(key);
  if (depth > 32 || raw === null || typeof raw !== "object") return false;
  if (Array.isArray(raw)) return raw.some((v) => hiddenByCelery(v, null, depth + 1));
  return Object.entries(raw).some(([k, v]) => !isSecretKey(k) && hiddenByCelery(v, k, depth + 1));
}

function settingOf(key: string, raw: unknown, nonDefault: Record<string, unknown> | null, observed: Observation | undefined): Setting {
  const isDefault = nonDefault ? !(key in nonDefault) : false;
  let value = maskSecrets(raw, key);
  // Celery masked it, and by the agent's rules the name is no secret.
  if (value === MASK && !isSecretKey(key) && isDefault && key in CELERY_HIDDEN_DEFAULTS) value = CELERY_HIDDEN_DEFAULTS[key];
  const setting: Setting = { key, value, is_default: isDefault };
  const display = value === MASK ? undefined : displaySetting(key, value);
  if (display !== undefined) setting.display = display;
  if (!isSecretKey(key) && hiddenByCelery(value, key)) setting.hidden_by_celery = true;
  if (observed) setting.observed = observed;
  return setting;
}

export function groupConfig(
  all: Record<string, unknown>,
  nonDefault: Record<string, unknown> | null,
  observed: Record<string, Observation> = {},
): ConfigGroup[] {
  const groups = GROUPS.map((g) => ({ id: g.id, title: g.title, settings: [] as Setting[] }));
  for (const key of Object.keys(all).sort()) {
    const gi = GROUPS.findIndex((g) => g.test(key));
    groups[gi]!.settings.push(settingOf(key, all[key], nonDefault, observed[key]));
  }
  return groups.filter((g) => g.settings.length);
}
