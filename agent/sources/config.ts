/**
 * Celery's runtime configuration as the workers report it (`inspect conf`): comparing a setting's
 * values across workers (order that carries no meaning ignored), with secrets masked, to point out
 * where workers disagree. The config view's groups and rows are built in handlers/present/config.ts.
 */
import { canonicalSetRepr } from "./config-display";
import { maskSecrets } from "../base/mask";

/**
 * Lists whose order carries no meaning, compared as sets: modules to import, content types,
 * queues to declare and consume, contact points. Order-sensitive lists keep their order:
 * broker_url (failover order), task_routes and task_annotations (first match wins).
 */
const UNORDERED = new Set(["include", "imports", "accept_content", "result_accept_content", "task_queues", "cassandra_servers", "deprecated_settings"]);
/** Mappings whose key order matters: task_routes globs are tried in order. Other dicts compare unordered. */
const ORDERED_MAPPINGS = new Set(["task_routes"]);

/** A comparison key for a value: dict keys sorted (except ORDERED_MAPPINGS), UNORDERED lists as sorted sets. */
export function canonicalSetting(key: string, value: unknown): string {
  const canon = (v: unknown, depth: number, keepOrder: boolean): unknown => {
    if (depth > 32 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => canon(x, depth + 1, false));
    const entries = Object.entries(v).map(([k, x]) => [k, canon(x, depth + 1, false)] as const);
    if (!keepOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries;
  };
  let v = canon(value, 0, ORDERED_MAPPINGS.has(key));
  if (UNORDERED.has(key)) {
    if (Array.isArray(v)) v = [...new Set(v.map((x) => JSON.stringify(x)))].sort();
    else if (typeof v === "string") v = canonicalSetRepr(v);
  }
  return JSON.stringify(v) ?? "undefined";
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
      seen.add(canonicalSetting(key, masked));
      values.push({ worker, value: masked ?? null });
    }
    if (seen.size > 1) out.push({ key, values });
  }
  return out;
}
