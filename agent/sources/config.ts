/**
 * Celery's runtime configuration as the workers report it (`inspect conf`), grouped as the views
 * need it, with secrets masked and disagreements between workers pointed out.
 */
import { isRecord } from "../protocol/envelope";
import { maskSecrets } from "./mask";

export type ConfigGroup = {
  id: string;
  title: string;
  settings: { key: string; value: unknown; is_default: boolean }[];
};

const ROUTING = new Set([
  "task_queues", "task_routes", "task_default_queue", "task_default_exchange", "task_default_exchange_type",
  "task_default_routing_key", "task_default_delivery_mode", "task_queue_max_priority", "task_default_priority",
  "task_create_missing_queues", "task_inherit_parent_priority", "broker_transport_options",
]);
const EVENTS = new Set(["worker_send_task_events", "task_send_sent_event"]);

const GROUPS: { id: string; title: string; test: (k: string) => boolean }[] = [
  { id: "routing", title: "Queues and routing", test: (k) => ROUTING.has(k) },
  { id: "events", title: "Events", test: (k) => EVENTS.has(k) || k.startsWith("event_") },
  { id: "broker", title: "Broker", test: (k) => k.startsWith("broker_") },
  { id: "result_backend", title: "Result backend", test: (k) => k.startsWith("result_") || k.startsWith("redis_") || k.startsWith("database_") || k.startsWith("cache_") || k === "mongodb_backend_settings" },
  { id: "task", title: "Tasks", test: (k) => k.startsWith("task_") },
  { id: "worker", title: "Worker", test: (k) => k.startsWith("worker_") },
  { id: "beat", title: "Beat", test: (k) => k.startsWith("beat_") || k.startsWith("redbeat_") },
  { id: "general", title: "General", test: (k) => ["timezone", "enable_utc", "imports", "include", "accept_content", "deprecated_settings"].includes(k) || k.startsWith("security_") },
  { id: "other", title: "Other settings", test: () => true },
];

export function groupConfig(all: Record<string, unknown>, nonDefault: Record<string, unknown> | null): ConfigGroup[] {
  const groups = GROUPS.map((g) => ({ id: g.id, title: g.title, settings: [] as ConfigGroup["settings"] }));
  for (const key of Object.keys(all).sort()) {
    const gi = GROUPS.findIndex((g) => g.test(key));
    groups[gi]!.settings.push({
      key,
      value: maskSecrets(all[key], key),
      is_default: nonDefault ? !(key in nonDefault) : false,
    });
  }
  return groups.filter((g) => g.settings.length);
}

/** Settings whose value differs between workers (each shown masked). */
export function configDifferences(perWorker: Map<string, Record<string, unknown>>): { key: string; values: { worker: string; value: unknown }[] }[] {
  if (perWorker.size < 2) return [];
  const keys = new Set<string>();
  for (const c of perWorker.values()) for (const k of Object.keys(c)) keys.add(k);
  const out: { key: string; values: { worker: string; value: unknown }[] }[] = [];
  for (const key of [...keys].sort()) {
    const seen = new Set<string>();
    const values: { worker: string; value: unknown }[] = [];
    for (const [worker, c] of perWorker) {
      const masked = maskSecrets(c[key], key);
      seen.add(JSON.stringify(masked) ?? "undefined");
      values.push({ worker, value: masked ?? null });
    }
    if (seen.size > 1) out.push({ key, values });
  }
  return out;
}

export function asConfig(v: unknown): Record<string, unknown> | null {
  return isRecord(v) ? v : null;
}
