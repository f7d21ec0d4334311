import type { QueueDetail, QueueList, QueueSummary } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import { mergeQueues, queueSummaries, readQueueDeclaration, type QueueDeclaration } from "../sources/queues";
import { hideRowPayloads, taskRow } from "../sources/tasks/present";
import { payloadHidden, type Access } from "./access";
import { workerConf, type Ctx } from "./context";
import { notFound } from "./errors";

function sourceOfQueues(ctx: Ctx): string {
  return `broker bindings and lists on ${ctx.brokerDescription()} + workers' active_queues + task_queues`;
}

/** task_routes as a dict of pattern -> route (a router function comes back as a repr: ignored). */
function routesOf(conf: Record<string, unknown> | null): { pattern: string; route: Record<string, unknown> }[] {
  const routes = conf?.task_routes;
  const list = Array.isArray(routes) ? routes : [routes];
  const out: { pattern: string; route: Record<string, unknown> }[] = [];
  for (const r of list) {
    if (!isRecord(r)) continue;
    for (const [pattern, route] of Object.entries(r)) {
      if (isRecord(route)) out.push({ pattern, route });
      else if (typeof route === "string") out.push({ pattern, route: { queue: route } });
    }
  }
  return out;
}

export interface QueueListOptions {
  /** Use the workers' held replies (refreshed in the background) rather than wait for fresh ones. */
  heldReplies?: boolean;
}

async function allQueues(ctx: Ctx, opts: QueueListOptions = {}): Promise<{ summaries: QueueSummary[]; conf: Record<string, unknown> | null }> {
  const read = (m: "active_queues" | "stats") => (opts.heldReplies ? ctx.inspector.cached(m) : null) ?? ctx.inspector.read(m);
  const [bindings, aq, stats, { conf }] = await Promise.all([ctx.brokerBindings.get(), read("active_queues"), read("stats"), workerConf(ctx)]);
  const activeQueues = new Map<string, QueueDeclaration[]>();
  for (const [w, r] of aq.replies) {
    if (Array.isArray(r.value)) activeQueues.set(w, r.value.map(readQueueDeclaration).filter((q): q is QueueDeclaration => q !== null));
  }
  const configured = Array.isArray(conf?.task_queues) ? conf.task_queues.map(readQueueDeclaration).filter((q): q is QueueDeclaration => q !== null) : [];
  const routed = routesOf(conf).map((r) => r.route.queue).filter((q): q is string => typeof q === "string");
  if (typeof conf?.task_default_queue === "string") routed.push(conf.task_default_queue);
  const merged = mergeQueues({
    bindings,
    activeQueues,
    configured,
    routed,
    online: (w) => ctx.liveness(w).status === "online",
    prefetch: (w) => {
      const s = stats.replies.get(w)?.value;
      return isRecord(s) ? num(s.prefetch_count) : null;
    },
  });
  return { summaries: await queueSummaries(ctx.broker, merged), conf };
}

export async function listQueues(ctx: Ctx, opts: QueueListOptions = {}): Promise<QueueList> {
  const { summaries } = await allQueues(ctx, opts);
  return { queues: summaries, source: sourceOfQueues(ctx) };
}

export async function queueDetail(ctx: Ctx, name: string, access: Access): Promise<QueueDetail> {
  const { summaries, conf } = await allQueues(ctx);
  const q = summaries.find((s) => s.name === name);
  if (!q) throw notFound(`no queue named "${name}" in the broker's bindings, the workers' queues or task_queues`);
  const routed_tasks = routesOf(conf).filter((r) => r.route.queue === name || (q.exchange !== null && r.route.exchange === q.exchange && !r.route.queue));
  const recent = ctx.tasks.query({ queue: name }, { by: "received", order: "desc" }, 20, null);
  const hidden = payloadHidden(access);
  const rows = recent.tasks.map(taskRow);
  return { ...q, routed_tasks, recent_tasks: hidden ? rows.map((r) => hideRowPayloads(r, hidden)) : rows, source: sourceOfQueues(ctx) };
}
