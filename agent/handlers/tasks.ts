import { TaskQuerySchema, type TaskDetail, type TaskList } from "../api/schema";
import { taskDetail, taskRow } from "../sources/tasks/present";
import { decodeCursor } from "../sources/tasks/cursor";
import { newRecord, applyMeta } from "../sources/tasks/record";
import { num } from "../protocol/events";
import { atMost, sourceOfTasks, type Ctx } from "./context";
import { badRequest, notFound } from "./errors";
import { listTasksFromDb, taskDetailFromDb } from "./django";

/** ISO 8601 or unix seconds; a bad value names the parameter. */
function parseTime(param: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) throw badRequest(`${param}: "${v}" is not a time (ISO 8601 or unix seconds)`);
  return ms;
}

export function listTasks(ctx: Ctx, query: Record<string, string>): TaskList | Promise<TaskList> {
  const parsed = TaskQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    const param = keys?.length ? keys.join(", ") : issue.path.join(".");
    throw badRequest(keys?.length ? `unknown query parameter ${param}` : `${param}: ${issue.message}`);
  }
  const q = parsed.data;
  const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !cursor) throw badRequest("cursor: not a cursor this agent issued");
  const filter = {
    states: q.state,
    name: q.name,
    worker: q.worker,
    queue: q.queue,
    since: parseTime("since", q.since),
    until: parseTime("until", q.until),
    q: q.q?.trim().toLowerCase() || undefined,
  };
  const sort = { by: q.sort, order: q.order };
  if (ctx.options.tasksDb) return listTasksFromDb(ctx, filter, sort, q.limit, cursor, sourceOfTasks(ctx));
  const page = ctx.tasks.query(filter, sort, q.limit, cursor);
  return { tasks: page.tasks.map(taskRow), total: page.total, limit: q.limit, next_cursor: page.nextCursor, source: sourceOfTasks(ctx) };
}

const TASK_ID = /^[\w.:@-]{1,200}$/;

export async function getTask(ctx: Ctx, id: string): Promise<TaskDetail> {
  if (!TASK_ID.test(id)) throw badRequest(`id: "${id.slice(0, 60)}" is not a task id`);
  if (ctx.options.tasksDb) {
    const d = await taskDetailFromDb(ctx, id, { children: [...ctx.tasks.childrenOf(id)], timeLimit: await timeLimit(ctx) }, sourceOfTasks(ctx));
    if (!d) throw notFound(`no task with id "${id}" is known to the agent or the tasks database`);
    return d;
  }
  let t = ctx.tasks.get(id);
  if (!t && ctx.backend && ctx.backend.status().state === "connected") {
    // Not held (evicted, or stored after the backfill): the backend may still know it.
    const meta = await ctx.backend.get(id);
    if (meta) {
      t = newRecord(id, 0, meta.seenAt);
      applyMeta(t, meta);
    }
  }
  if (!t) throw notFound(`no task with id "${id}" is known to the agent or the result backend`);
  const children = [...ctx.tasks.childrenOf(id)];
  return taskDetail(t, { children, timeLimit: await timeLimit(ctx), source: sourceOfTasks(ctx) });
}

async function timeLimit(ctx: Ctx): Promise<TaskDetail["time_limit"]> {
  await atMost(ctx.inspector.read("conf").catch(() => null), 300);
  const conf = ctx.inspector.latestConf();
  const soft = num(conf?.task_soft_time_limit);
  const hard = num(conf?.task_time_limit);
  return soft !== null || hard !== null ? { soft, hard } : null;
}
