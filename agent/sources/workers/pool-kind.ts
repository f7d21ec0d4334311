/** Which pool a worker runs, told from its `inspect stats` reply. */
import type { PoolKind } from "../../api/schema/enums";
import { isRecord } from "../../protocol/envelope";
import { num } from "../../protocol/events";

/** Celery's stats do not name the pool; each pool's info has its own shape. */
export function poolKind(stats: unknown): PoolKind | null {
  if (!isRecord(stats) || !isRecord(stats.pool)) return null;
  const p = stats.pool;
  if ("free-threads" in p) return "eventlet";
  if ("threads" in p) return "threads";
  const procs = Array.isArray(p.processes) ? p.processes : null;
  const pid = num(stats.pid);
  if (procs && procs.length === 1 && procs[0] === pid) return num(p["max-concurrency"]) === 1 ? "solo" : "gevent";
  if (procs || "writes" in p) return "prefork";
  return "custom";
}
