import type { Overview } from "../api/schema";
import { hideRowPayloads, taskRow } from "./present/tasks";
import { payloadHidden, type Access } from "./access";
import { atMost, handlerState, sourceOfOverview, type Ctx } from "./context";
import { summaries } from "./workers";
import { listQueues } from "./queues";
import { countPeriodicTasks } from "./periodic";
import { connections } from "./health";
import { taskTotals } from "./task-totals";

/** How long the overview waits for workers before answering with what it has. */
const OVERVIEW_WAIT_MS = 300;
const HOUR = 3600_000;

interface OverviewState {
  /** The last complete answers, shown when a slow worker keeps this request from getting new ones. */
  lastKnown: { queues: Awaited<ReturnType<typeof listQueues>> | null; periodic: number | null };
  /** An overview being computed: requests arriving meanwhile (the panel and the extension's
   * background poll at once, many panels) share it instead of computing it again. */
  inflight: Promise<Overview> | null;
}

const overviewState = handlerState<OverviewState>("the overview's last answers and the one being computed", () => ({
  lastKnown: { queues: null, periodic: null },
  inflight: null,
}));

export async function overview(ctx: Ctx, access: Access): Promise<Overview> {
  const state = ctx.state.get(overviewState);
  state.inflight ??= compute(ctx, state).finally(() => (state.inflight = null));
  const full = await state.inflight;
  // Computed once for everyone; each caller gets the latest tasks cut to what it may see.
  const hidden = payloadHidden(access);
  return hidden ? { ...full, tasks: { ...full.tasks, latest: full.tasks.latest.map((t) => hideRowPayloads(t, hidden)) } } : full;
}

async function compute(ctx: Ctx, state: OverviewState): Promise<Overview> {
  await ctx.refreshBindings().catch(() => undefined);
  const settle = <T>(p: Promise<T>) =>
    atMost(
      p.catch(() => null),
      OVERVIEW_WAIT_MS,
    );
  // What the workers last said, when every live worker has said it: the overview answers at once
  // (a stale answer is refreshed in the background, and the panel updates live); it waits for a
  // broadcast only for a worker never heard from.
  const now = (m: "active" | "reserved" | "scheduled" | "registered") => {
    const held = ctx.inspector.cached(m);
    return held ? Promise.resolve(held) : settle(ctx.inspector.read(m));
  };
  // The totals per task name take the workers' latest stats replies as they are (the pool probe and
  // the Workers view ask for them): the overview, polled by every client, does not ask again.
  const [active, reserved, scheduled, registered, freshQueues, freshPeriodic] = await Promise.all([
    now("active"),
    now("reserved"),
    now("scheduled"),
    now("registered"),
    settle(listQueues(ctx, { heldReplies: true })),
    settle(countPeriodicTasks(ctx)),
  ]);
  const queues = freshQueues ?? state.lastKnown.queues;
  const periodic = freshPeriodic ?? state.lastKnown.periodic;
  state.lastKnown = { queues, periodic };
  const workers = summaries(ctx);
  const online = workers.filter((w) => w.status === "online");
  // Busy solo workers answer nothing: their running task comes from the task store instead.
  const busyRunning = online.filter((w) => w.busy).reduce((n, w) => n + ctx.runningOn(w.name).length, 0);
  const countReplies = (o: typeof active) =>
    o?.replies.size ? [...o.replies.values()].reduce((n, r) => n + (Array.isArray(r.value) ? r.value.length : 0), 0) : null;
  const activeFromInspect = countReplies(active);
  const activeFromHeartbeats = online.reduce((n, w) => n + (w.active ?? 0), 0);
  const registeredNames = new Set<string>();
  // Registered names change only with deployments: the latest reply of each worker will do.
  const registeredReplies = registered?.replies.size
    ? registered.replies.values()
    : ctx.workers
        .all()
        .map((w) => ctx.inspector.latest("registered", w.name))
        .filter((r) => r !== undefined);
  for (const r of registeredReplies) if (Array.isArray(r.value)) for (const n of r.value) if (typeof n === "string") registeredNames.add(n.split(" ")[0]!);
  const { lastHour, lastDay } = await recentActivity(ctx);
  return {
    workers: { online: online.length, offline: workers.length - online.length, busy: online.filter((w) => w.busy).length },
    tasks: {
      active: (activeFromInspect ?? activeFromHeartbeats) + busyRunning,
      reserved: countReplies(reserved),
      // Workers that cannot answer (busy solo) or did not yet: the SCHEDULED tasks the agent holds.
      scheduled: countReplies(scheduled) ?? ctx.tasks.countByState().get("SCHEDULED") ?? null,
      last_hour: lastHour,
      last_day: lastDay,
      latest: ctx.tasks.query({}, { by: "received", order: "desc" }, 10, null).tasks.map(taskRow),
    },
    queues: (queues?.queues ?? []).map((q) => ({ name: q.name, messages: q.messages, consumers: q.consumers.filter((c) => c.online).length })),
    registered_tasks: [...registeredNames].sort(),
    periodic_tasks: periodic ?? 0,
    pending: [...(queues ? [] : (["queues"] as const)), ...(periodic !== null ? [] : (["periodic_tasks"] as const))],
    generated_at: new Date().toISOString(),
    source: sourceOfOverview(ctx),
    connections: connections(ctx),
    task_totals: taskTotals(ctx),
  };
}

/**
 * Tasks per state received in the last hour and day: from the store's time index, not a walk over
 * every task; with the durable history, from it too (after a restart it knows the earlier run's).
 */
async function recentActivity(ctx: Ctx): Promise<{ lastHour: Record<string, number>; lastDay: Record<string, number> }> {
  const now = Date.now();
  const [lastHour, lastDay] = await Promise.all([ctx.taskSource.countByStateSince(now - HOUR), ctx.taskSource.countByStateSince(now - 24 * HOUR)]);
  return { lastHour, lastDay };
}
