import type { WorkerDetail, WorkerList, WorkerSummary, WorkerTask } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import type { ReadOnlyControlMethod } from "../protocol/control";
import { brokerInfo, queueBindings, rusage, workerSummary, workerTasks } from "./present/workers";
import { iso, sourceOfWorkers, type Ctx } from "./context";
import { notFound } from "./errors";
import { payloadHidden, type Access } from "./access";
import { subjectFindings } from "./subject-findings";

/** Summaries of every known worker; stats and queues come from one shared, early-returning broadcast. */
export async function listWorkers(ctx: Ctx): Promise<WorkerList> {
  await ctx.refreshBindings().catch(() => undefined);
  await Promise.all([ctx.inspector.read("stats"), ctx.inspector.read("active_queues")]);
  return { workers: summaries(ctx), source: sourceOfWorkers(ctx) };
}

/** From what is already known, without asking the workers anything (for overview and the stream). */
export function summaries(ctx: Ctx): WorkerSummary[] {
  return ctx.workers
    .all()
    .map((w) => summaryOf(ctx, w.name)!)
    .sort((a, b) => (a.status === b.status ? a.name.localeCompare(b.name) : a.status === "online" ? -1 : 1));
}

export function summaryOf(ctx: Ctx, name: string): WorkerSummary | null {
  const state = ctx.workers.get(name);
  if (!state) return null;
  return workerSummary({
    state,
    liveness: ctx.workers.liveness(state),
    stats: ctx.inspector.latest("stats", name)?.value,
    activeQueues: ctx.inspector.latest("active_queues", name)?.value,
  });
}

const DETAIL_METHODS: ReadOnlyControlMethod[] = ["stats", "active", "reserved", "scheduled", "revoked", "registered", "active_queues"];

export async function workerDetail(ctx: Ctx, name: string, access: Access): Promise<WorkerDetail> {
  if (!ctx.workers.get(name)) await ctx.refreshBindings(true).catch(() => undefined);
  const state = ctx.workers.get(name);
  if (!state) throw notFound(`no worker named "${name}" is known (not seen in events nor in remote-control bindings)`);
  const liveness = ctx.workers.liveness(state);
  const notes: string[] = [];
  // Only ask a worker that can answer: a dead or busy one would cost a full timeout for nothing.
  if (liveness.status === "online" && !liveness.busy) {
    const outcomes = await Promise.all(DETAIL_METHODS.map((m) => ctx.inspector.read(m, { destination: [name] })));
    const silent = DETAIL_METHODS.filter((_, i) => outcomes[i]!.missing.length);
    const err = outcomes.find((o) => o.error)?.error;
    if (err) notes.push(`remote control unavailable: ${err}`);
    else if (silent.length) notes.push(`did not answer ${silent.join(", ")} within ${ctx.options.inspectTimeoutMs} ms`);
  } else {
    notes.push(`not asked: ${liveness.detail ?? "offline"}; showing what it last reported`);
  }
  const latest = (m: ReadOnlyControlMethod) => ctx.inspector.latest(m, name);
  const stats = latest("stats")?.value;
  const s = isRecord(stats) ? stats : null;
  const pool = isRecord(s?.pool) ? s.pool : null;
  const answeredAt = DETAIL_METHODS.map((m) => latest(m)?.at ?? 0).reduce((a, b) => Math.max(a, b), 0);
  const registered = latest("registered")?.value;
  const revoked = latest("revoked")?.value;
  const total = isRecord(s?.total) ? s.total : {};
  return {
    ...summaryOf(ctx, name)!,
    prefetch_count: num(s?.prefetch_count),
    uptime_seconds: num(s?.uptime),
    total: Object.fromEntries(Object.entries(total).filter(([, v]) => typeof v === "number")) as Record<string, number>,
    active_tasks: visibleTasks(latest("active")?.value, access),
    reserved_tasks: visibleTasks(latest("reserved")?.value, access),
    scheduled_tasks: visibleTasks(latest("scheduled")?.value, access),
    revoked_tasks: Array.isArray(revoked) ? revoked.filter((x): x is string => typeof x === "string") : [],
    registered: Array.isArray(registered) ? registered.filter((x): x is string => typeof x === "string").map((x) => x.split(" ")[0]!) : [],
    active_queues: queueBindings(latest("active_queues")?.value),
    pool_processes: Array.isArray(pool?.processes) ? pool.processes.filter((x): x is number => typeof x === "number") : [],
    max_tasks_per_child: num(pool?.["max-tasks-per-child"]),
    rusage: rusage(stats),
    broker: brokerInfo(stats),
    inspected_at: iso(answeredAt || null),
    notes,
    findings: await subjectFindings(ctx, "worker", name, access),
    source: sourceOfWorkers(ctx),
  };
}

/** A worker's task list as this caller may see it: arguments hidden without the task_payloads scope. */
function visibleTasks(reply: unknown, access: Access): WorkerTask[] {
  const tasks = workerTasks(reply);
  const hidden = payloadHidden(access);
  return hidden ? tasks.map((t) => ({ ...t, args: t.args === null ? null : hidden, kwargs: t.kwargs === null ? null : hidden })) : tasks;
}
