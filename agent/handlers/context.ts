/** What every handler reads from: the running agent, plus small shared helpers. */
import type { Agent } from "../runtime/agent";
import { stateKey, type StateKey } from "../runtime/per-agent-state";
import { isRecord } from "../protocol/envelope";
import type { TaskSourceKind } from "../sources/task-source";

export type Ctx = Agent;

/** A piece of state a handler keeps per agent, in `ctx.state`. */
export const handlerState = <T>(name: string, create: (ctx: Ctx) => T): StateKey<Ctx, T> => stateKey(name, create);

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Waits for `p` at most `ms`; the work goes on in the background and fills caches for next time. */
export async function atMost<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The workers' merged conf: the first worker's reply, for settings they all share. */
export async function workerConf(ctx: Ctx): Promise<{ conf: Record<string, unknown> | null; perWorker: Map<string, Record<string, unknown>> }> {
  const out = await ctx.inspector.read("conf");
  const perWorker = new Map<string, Record<string, unknown>>();
  for (const [w, r] of out.replies) if (isRecord(r.value)) perWorker.set(w, r.value);
  const first = [...perWorker.keys()].sort()[0];
  return { conf: first ? perWorker.get(first)! : null, perWorker };
}

/** e.g. "RabbitMQ amqp://guest:********@host:5672/prod": the broker's kind, then where it is. */
export function brokerLabel(ctx: Ctx): string {
  return `${ctx.brokerKindName()} ${ctx.brokerDescription()}`;
}

/** The broker cannot list its queues by itself (RabbitMQ without --broker-api): only named queues are seen. */
export function queuesListedByName(ctx: Ctx): boolean {
  return ctx.broker.kind === "amqp" && (ctx.options.brokerApi === null || Boolean(ctx.broker.queues?.fallback?.()));
}

/**
 * The tasks' source line. `servedBy`: which sources a page (or a task) came from; the durable
 * history is named when it served any.
 */
export function sourceOfTasks(ctx: Ctx, servedBy: readonly TaskSourceKind[] = ["live"]): string {
  const live = liveSourceOfTasks(ctx);
  if (!servedBy.includes("history")) return live;
  const history = `task history ${ctx.durableHistory.path}`;
  return servedBy.includes("live") || servedBy.includes("django") ? `${live} + ${history}` : `${history} (seen earlier: ${live})`;
}

function liveSourceOfTasks(ctx: Ctx): string {
  const backend = ctx.backendDescription();
  const unreadable = ctx.unreadableBackend;
  if (!backend && unreadable && !ctx.options.tasksDb) return `events only on ${brokerLabel(ctx)} (result backend ${unreadable.url}: ${unreadable.reason})`;
  // django-celery-results' table is the history; the live store adds what the table does not say yet.
  if (ctx.options.tasksDb)
    return `django-celery-results on ${ctx.options.tasksDb.description} + live store (events${backend ? `, result backend ${backend}` : ""})`;
  if (!backend) return `events only (no result backend) on ${brokerLabel(ctx)}`;
  return `${ctx.backend?.label ?? `result backend ${backend}`} + events on ${brokerLabel(ctx)}`;
}

export function sourceOfOverview(ctx: Ctx): string {
  return `worker events + inspect + task store (${ctx.backendDescription() ? "result backend + events" : "events"}) + queues on ${brokerLabel(ctx)}`;
}

export function sourceOfConfig(ctx: Ctx, workers: number): string {
  const asked = workers ? `inspect conf from ${workers} worker${workers > 1 ? "s" : ""}` : "no worker answered inspect conf";
  return `${asked} on ${brokerLabel(ctx)} + task events seen`;
}

export function sourceOfWorkers(ctx: Ctx): string {
  return `remote control (inspect) + worker events on ${brokerLabel(ctx)}`;
}

export function sourceOfQueues(ctx: Ctx): string {
  const workers = "workers' active_queues + task_queues";
  const api = ctx.brokerApiDescription();
  if (api && ctx.broker.kind === "amqp") return `RabbitMQ management API ${api} (every queue of the vhost) + ${workers} on ${brokerLabel(ctx)}`;
  if (queuesListedByName(ctx)) return `passive queue.declare on ${brokerLabel(ctx)} + ${workers} + task-sent events`;
  return `broker bindings and lists on ${brokerLabel(ctx)} + ${workers}`;
}
