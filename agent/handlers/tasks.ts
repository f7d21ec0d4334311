import { TaskQuerySchema, type TaskDetail, type TaskList } from "../api/schema";
import { taskDetail, taskRow } from "../sources/tasks/present";
import { decodeCursor } from "../sources/tasks/cursor";
import { newRecord, applyMeta } from "../sources/tasks/record";
import { num } from "../protocol/events";
import { atMost, sourceOfTasks, type Ctx } from "./context";
import { badRequest, HttpError, notFound } from "./errors";

/** ISO 8601 or unix seconds; a bad value names the parameter. */
function parseTime(param: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) throw badRequest(`${param}: "${v}" is not a time (ISO 8601 or unix seconds)`);
  return ms;
}

export function listTasks(ctx: Ctx, query: Record<string, string>): TaskList {
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
  const page = ctx.tasks.query(
    {
      states: q.state,
      name: q.name,
      worker: q.worker,
      queue: q.queue,
      since: parseTime("since", q.since),
      until: parseTime("until", q.until),
      q: q.q?.trim().toLowerCase() || undefined,
    },
    { by: q.sort, order: q.order },
    q.limit,
    cursor,
  );
  return { tasks: page.tasks.map(taskRow), total: page.total, limit: q.limit, next_cursor: page.nextCursor, source: sourceOfTasks(ctx) };
}

const TASK_ID = /^[\w.:@-]{1,200}$/;

export async function getTask(ctx: Ctx, id: string): Promise<TaskDetail> {
  if (!TASK_ID.test(id)) throw badRequest(`id: "${id.slice(0, 60)}" is not a task id`);
  let t = ctx.tasks.get(id);
  if (!t && ctx.backend) {
    // Not held (evicted, or stored after the backfill): the backend may still know it.
    const backend = ctx.backend;
    const unreachable = (why: string) =>
      new HttpError(
        503,
        "result_backend_unavailable",
        `task "${id}" is not among the tasks the agent holds, and the result backend ${ctx.backendDescription()} that may know it is not reachable (${why}); the broker and what the agent holds are still served`,
      );
    // Not knowing the task is not the same as it not existing: say which side could not be asked.
    if (backend.status().state !== "connected") throw unreachable(backend.status().error ?? backend.status().state);
    const meta = await backend.get(id).catch((e: Error) => {
      throw unreachable(e.message);
    });
    if (meta) {
      t = newRecord(id, 0, meta.seenAt);
      applyMeta(t, meta);
    }
  }
  if (!t) throw notFound(`no task with id "${id}" is known to the agent or the result backend`);
  const children = [...ctx.tasks.childrenOf(id)];
  await atMost(ctx.inspector.read("conf").catch(() => null), 300);
  const conf = ctx.inspector.latestConf();
  const soft = num(conf?.task_soft_time_limit);
  const hard = num(conf?.task_time_limit);
  return taskDetail(t, { children, timeLimit: soft !== null || hard !== null ? { soft, hard } : null, source: sourceOfTasks(ctx) });
}
