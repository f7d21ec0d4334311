import type { QueueDetail, QueueList, QueueSummary, WaitingRead } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import { countQueues, mergeQueues, readQueueDeclaration, type QueueDeclaration } from "../sources/queues";
import { queueSummary, waitingRead } from "./present/queues";
import { hideRowPayloads, taskRow } from "./present/tasks";
import { payloadHidden, type Access } from "./access";
import { subjectFindings } from "./subject-findings";
import { atMost, queuesListedByName, sourceOfQueues, workerConf, type Ctx } from "./context";
import { notFound } from "./errors";

const UNNAMED_QUEUES_NOTE =
  "RabbitMQ cannot list its queues over AMQP: a queue no worker consumes and no task-sent event named is not shown here. " +
  "Give its management API (--broker-api) to see every queue of the vhost, with unacknowledged counts and arguments.";
const NO_POSITIONS_NOTE =
  "RabbitMQ cannot show waiting messages without taking them: which tasks wait, and in what order, is unknown (the count is the queue's ready messages).";

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
    if (Array.isArray(r.value))
      activeQueues.set(
        w,
        r.value.map(readQueueDeclaration).filter((q): q is QueueDeclaration => q !== null),
      );
  }
  const configured = Array.isArray(conf?.task_queues) ? conf.task_queues.map(readQueueDeclaration).filter((q): q is QueueDeclaration => q !== null) : [];
  const routed = routesOf(conf)
    .map((r) => r.route.queue)
    .filter((q): q is string => typeof q === "string");
  if (typeof conf?.task_default_queue === "string") routed.push(conf.task_default_queue);
  const merged = mergeQueues({
    bindings,
    activeQueues,
    configured,
    routed,
    // RabbitMQ without its management API lists no queues: the ones tasks were sent to are named by their events.
    sentTo: queuesListedByName(ctx) ? [...ctx.tasks.facet("queue").keys()] : undefined,
    online: (w) => ctx.liveness(w).status === "online",
    prefetch: (w) => {
      const s = stats.replies.get(w)?.value;
      return isRecord(s) ? num(s.prefetch_count) : null;
    },
  });
  return { summaries: (await countQueues(ctx.broker.queues, merged)).map(queueSummary), conf };
}

export async function listQueues(ctx: Ctx, opts: QueueListOptions = {}): Promise<QueueList> {
  const { summaries } = await allQueues(ctx, opts);
  return { queues: summaries, source: sourceOfQueues(ctx), note: queuesNote(ctx) };
}

function queuesNote(ctx: Ctx): string | null {
  const failing = ctx.broker.queues?.fallback?.();
  if (failing)
    return `The management API failed (${failing}): queues are named by the workers and task-sent events and counted by passive probes until it answers again.`;
  return queuesListedByName(ctx) ? UNNAMED_QUEUES_NOTE : null;
}

/** How long a request waits for the waiting messages to be read again before answering with the last read. */
const WAITING_WAIT_MS = 500;

/**
 * The messages waiting in the queues, read again into the task store unless the last read is fresh
 * (sources/waiting.ts). `summaries`: the queues as just listed; otherwise they are listed from the
 * workers' held replies. Waits at most WAITING_WAIT_MS: then the last read is what is shown.
 */
export async function readWaiting(ctx: Ctx, summaries?: readonly QueueSummary[]): Promise<WaitingRead> {
  // Broker down: nothing can be read (commands would only queue up); the last read is what is known.
  const broker = ctx.broker.status();
  if (broker.state !== "connected") return waitingRead({ ...ctx.waiting.last(), error: broker.error ?? `broker ${broker.state}` });
  const read = ctx.waiting.refresh(async () => summaries ?? (await allQueues(ctx, { heldReplies: true })).summaries);
  return waitingRead((await atMost(read, WAITING_WAIT_MS)) ?? ctx.waiting.last());
}

const RECENT = 20;

export async function queueDetail(ctx: Ctx, name: string, access: Access): Promise<QueueDetail> {
  const { summaries, conf } = await allQueues(ctx);
  const q = summaries.find((s) => s.name === name);
  if (!q) throw notFound(`no queue named "${name}" in the broker's bindings, the workers' queues or task_queues`);
  const findings = await subjectFindings(ctx, "queue", name, access);
  const routed_tasks = routesOf(conf).filter((r) => r.route.queue === name || (q.exchange !== null && r.route.exchange === q.exchange && !r.route.queue));
  if (!ctx.broker.queues?.messagePeek) {
    const recentRows = ctx.tasks.query({ queue: name }, { by: "received", order: "desc" }, RECENT, null).tasks.map(taskRow);
    const hidden = payloadHidden(access);
    const recent_tasks = hidden ? recentRows.map((r) => hideRowPayloads(r, hidden)) : recentRows;
    return { ...q, routed_tasks, recent_tasks, waiting_note: NO_POSITIONS_NOTE, findings, source: sourceOfQueues(ctx) };
  }
  const waiting = await readWaiting(ctx, summaries);
  const waitingRows = ctx.waiting
    .inQueue(name)
    .map((id) => ctx.tasks.get(id))
    .filter((t) => t?.waiting?.queue === name)
    .map((t) => taskRow(t!));
  // Recent tasks are the ones that went through: the waiting ones are listed on their own.
  const recent = ctx.tasks.query({ queue: name }, { by: "received", order: "desc" }, RECENT + waitingRows.length, null);
  const recentRows = recent.tasks
    .filter((t) => !t.waiting)
    .slice(0, RECENT)
    .map(taskRow);
  const hidden = payloadHidden(access);
  const shown = (rows: typeof recentRows) => (hidden ? rows.map((r) => hideRowPayloads(r, hidden)) : rows);
  return { ...q, routed_tasks, recent_tasks: shown(recentRows), waiting_tasks: shown(waitingRows), waiting, findings, source: sourceOfQueues(ctx) };
}
