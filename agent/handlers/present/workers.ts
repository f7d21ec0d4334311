/**
 * Workers as the views show them: registry state (events) joined with remote-control replies.
 */
import type { QueueBinding, WorkerSummary, WorkerTask } from "../../api/schema";
import { maskSecrets } from "../../base/mask";
import { isRecord } from "../../protocol/envelope";
import { num, str } from "../../protocol/events";
import { readQueueDeclaration } from "../../sources/queues";
import { preview } from "../../sources/values";
import { poolKind } from "../../sources/workers/pool-kind";
import { type Liveness, SKEW_CORRECTED_FROM, type WorkerState } from "../../sources/workers/registry";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WorkerInputs {
  state: WorkerState;
  liveness: Liveness;
  stats: unknown;
  activeQueues: unknown;
}

export function hostOf(name: string): string {
  const at = name.indexOf("@");
  return at < 0 ? name : name.slice(at + 1);
}

export function workerSummary({ state: w, liveness, stats, activeQueues }: WorkerInputs): WorkerSummary {
  const s = isRecord(stats) ? stats : null;
  const pool = isRecord(s?.pool) ? s.pool : null;
  const queues = Array.isArray(activeQueues)
    ? activeQueues
        .map(readQueueDeclaration)
        .filter((q) => q !== null)
        .map((q) => q.name)
    : [];
  return {
    name: w.name,
    hostname: hostOf(w.name),
    status: liveness.status,
    status_detail: liveness.detail,
    busy: liveness.busy,
    pool: poolKind(stats),
    concurrency: num(pool?.["max-concurrency"]),
    active: w.active,
    processed: w.processed ?? (isRecord(s?.total) ? Object.values(s.total).reduce<number>((a, b) => a + (num(b) ?? 0), 0) : null),
    loadavg: w.loadavg,
    last_heartbeat: iso(w.lastHeartbeat),
    heartbeat_interval: w.freq,
    sw_ver: w.swVer,
    sw_ident: w.swIdent,
    sw_sys: w.swSys,
    pid: w.pid ?? num(s?.pid),
    clock_skew: w.clockSkew,
    ...clockReport(w),
    restarted_at: iso(w.restartedAt),
    queues,
  };
}

/** The skew the worker's task times were corrected by, and a line saying so (and what it looks like). */
function clockReport(w: WorkerState): { clock_skew_seconds: number | null; clock_note: string | null } {
  if (w.clockSkew === null) return { clock_skew_seconds: null, clock_note: null };
  if (Math.abs(w.clockSkew) < SKEW_CORRECTED_FROM) return { clock_skew_seconds: 0, clock_note: null };
  const skew = Math.round(w.clockSkew);
  const ahead = `its clock is ${formatSkew(Math.abs(skew))} ${skew > 0 ? "ahead of" : "behind"} the agent's`;
  // Python's utcoffset counts hours west of UTC: a clock set to local time instead of UTC is off by minus that.
  const zone = w.utcoffset !== null && w.utcoffset !== 0 && Math.abs(skew + w.utcoffset * 3600) < 120;
  const why = zone ? ` (by its time zone's offset, UTC${w.utcoffset! < 0 ? "+" : "-"}${Math.abs(w.utcoffset!)}: set to local time?)` : "";
  return { clock_skew_seconds: skew, clock_note: `${ahead}${why}; its task times are shown corrected by it, liveness uses the agent's clock` };
}

function formatSkew(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round((s / 3600) * 10) / 10} h`;
}

/** A task as `inspect active/reserved/scheduled` describes it (scheduled wraps it in `request`). */
export function workerTask(entry: unknown): WorkerTask | null {
  if (!isRecord(entry)) return null;
  const req = isRecord(entry.request) ? entry.request : entry;
  const id = str(req.id);
  if (!id) return null;
  const di = isRecord(req.delivery_info) ? req.delivery_info : null;
  const started = num(req.time_start);
  return {
    id,
    name: str(req.name) ?? str(req.type),
    args: req.args === undefined ? null : preview(req.args),
    kwargs: req.kwargs === undefined ? null : preview(req.kwargs),
    started: started === null ? null : new Date(started * 1000).toISOString(),
    eta: str(entry.eta),
    priority: num(entry.priority) ?? num(di?.priority),
    queue: str(di?.routing_key),
    acknowledged: typeof req.acknowledged === "boolean" ? req.acknowledged : null,
    worker_pid: num(req.worker_pid),
  };
}

export function workerTasks(reply: unknown): WorkerTask[] {
  return Array.isArray(reply) ? reply.map(workerTask).filter((t): t is WorkerTask => t !== null) : [];
}

export function queueBindings(reply: unknown): QueueBinding[] {
  if (!Array.isArray(reply)) return [];
  return reply
    .map(readQueueDeclaration)
    .filter((q) => q !== null)
    .map((q) => ({
      name: q.name,
      exchange: q.exchange,
      exchange_type: q.exchangeType,
      routing_key: q.routingKey,
      durable: q.durable,
      max_priority: q.maxPriority,
    }));
}

export function rusage(stats: unknown): { utime: number | null; stime: number | null; maxrss_kb: number | null } | null {
  if (!isRecord(stats) || !isRecord(stats.rusage)) return null;
  const r = stats.rusage;
  return { utime: num(r.utime), stime: num(r.stime), maxrss_kb: num(r.maxrss) };
}

export function brokerInfo(stats: unknown): Record<string, unknown> | null {
  if (!isRecord(stats) || !isRecord(stats.broker)) return null;
  return maskSecrets(stats.broker) as Record<string, unknown>;
}
