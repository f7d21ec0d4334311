import { durationMs } from "../base/durations";
import { TaskQuerySchema, type TaskDetail, type TaskList } from "../api/schema";
import { hideDetailPayloads, hideRowPayloads, taskDetail, taskRow } from "./present/tasks";
import type { TaskFilter, TaskSort } from "../sources/tasks/query";
import { BadCursor, type FoundTask, type TaskSource } from "../sources/task-source";
import { DjangoResultsSource, NotATask } from "../sources/django/results-source";
import { UnsupportedSort } from "../sources/django/tasks";
import { DbUnavailable } from "../base/sql/db";
import { payloadHidden, type Access } from "./access";
import { subjectFindings } from "./subject-findings";
import { newRecord } from "../sources/tasks/record";
import { applyMeta } from "../sources/tasks/record-merge";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import { atMost, sourceOfTasks, type Ctx } from "./context";
import { badRequest, HttpError, notFound } from "./errors";
import { dbUnavailable, tasksSource } from "./django";
import { readWaiting } from "./queues";

/** ISO 8601 or unix seconds; a bad value names the parameter. */
/** ISO 8601, unix seconds, or an age before now ("-1h", "-15m", "-7d"): a range that stays relative. */
function parseTime(param: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ago = v.startsWith("-") ? durationMs(v.slice(1)) : null;
  const ms = ago !== null ? Date.now() - ago : /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) throw badRequest(`${param}: "${v}" is not a time (ISO 8601, unix seconds, or an age such as -1h)`);
  return ms;
}

export async function listTasks(ctx: Ctx, query: Record<string, string>, access: Access): Promise<TaskList> {
  const parsed = TaskQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = (issue as { keys?: string[] }).keys;
    const param = keys?.length ? keys.join(", ") : issue.path.join(".");
    throw badRequest(keys?.length ? `unknown query parameter ${param}` : `${param}: ${issue.message}`);
  }
  const q = parsed.data;
  const filter: TaskFilter = {
    states: q.state,
    name: q.name,
    worker: q.worker,
    queue: q.queue,
    since: parseTime("since", q.since),
    until: parseTime("until", q.until),
    q: q.q?.trim().toLowerCase() || undefined,
  };
  const sort: TaskSort = { by: q.sort, order: q.order };
  const hidden = payloadHidden(access);
  // The messages waiting in the queues are tasks too (PENDING with `waiting`): read them in first.
  const waiting = await readWaiting(ctx);
  // A caller who may not see payloads must not find tasks by them either (else probing would read
  // them back, a letter at a time): the search then looks at ids and names only.
  const page = await fromSource(() => taskSource(ctx).list({ filter, sort, limit: q.limit, cursor: q.cursor ?? null, searchPayloads: !hidden }));
  const rows = page.tasks.map(taskRow);
  const source = sourceOfTasks(ctx, page.servedBy);
  return {
    tasks: hidden ? rows.map((r) => hideRowPayloads(r, hidden)) : rows,
    total: page.total,
    ...(page.totalAtLeast ? { total_at_least: true } : {}),
    limit: q.limit,
    next_cursor: page.nextCursor,
    // Only a broker whose queues can be read without taking messages (Redis) adds the waiting ones.
    source: ctx.options.tasksDb || !ctx.broker.queues?.messagePeek ? source : `${source} + messages waiting in the broker's queues`,
    waiting,
  };
}

/** The tasks view's source: django-celery-results' table with --tasks-db, else the agent's own. */
function taskSource(ctx: Ctx): TaskSource {
  return ctx.options.tasksDb ? new DjangoResultsSource(ctx.tasks, () => tasksSource(ctx)) : ctx.taskSource;
}

/** A source's refusals as HTTP errors. */
async function fromSource<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof BadCursor) throw badRequest("cursor: not a cursor this agent issued");
    if (e instanceof UnsupportedSort) throw badRequest(e.message);
    if (e instanceof NotATask) throw notFound(e.message);
    if (e instanceof DbUnavailable) throw dbUnavailable("tasks", e);
    throw e;
  }
}

/** What a task id may look like (anything else is a 400, not a lookup). */
export const TASK_ID = /^[\w.:@-]{1,200}$/;

export async function getTask(ctx: Ctx, id: string, access: Access): Promise<TaskDetail> {
  if (!TASK_ID.test(id)) throw badRequest(`id: "${id.slice(0, 60)}" is not a task id`);
  const found = (await fromSource(() => taskSource(ctx).get(id))) ?? (ctx.options.tasksDb ? null : await fromBackend(ctx, id));
  if (!found) {
    const where = ctx.options.tasksDb ? "the tasks database" : ctx.durableHistory.source ? "the task history or the result backend" : "the result backend";
    throw notFound(`no task with id "${id}" is known to the agent or ${where}`);
  }
  const source = sourceOfTasks(ctx, [found.servedBy]);
  const extras = { children: [...ctx.tasks.childrenOf(id)], timeLimit: await timeLimit(ctx), source: found.note ? `${source} (${found.note})` : source };
  const detail = {
    ...taskDetail(found.task, extras),
    ...(found.database ? { database: found.database } : {}),
    findings: await subjectFindings(ctx, "task", id, access),
  };
  const hidden = payloadHidden(access);
  if (!hidden) return detail;
  const shown = hideDetailPayloads(detail, hidden);
  // django-celery-results' meta can hold the task's arguments (result_extended): hidden with them.
  return isRecord(shown.database) ? { ...shown, database: { ...shown.database, meta: hidden } } : shown;
}

/** Not held, not in the history (evicted, or stored after the backfill): the backend may still know it. */
async function fromBackend(ctx: Ctx, id: string): Promise<FoundTask | null> {
  const backend = ctx.backend;
  if (!backend) return null;
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
  if (!meta) return null;
  const t = newRecord(id, 0, meta.seenAt);
  applyMeta(t, meta);
  return { task: t, servedBy: "live" };
}

async function timeLimit(ctx: Ctx): Promise<TaskDetail["time_limit"]> {
  await atMost(
    ctx.inspector.read("conf").catch(() => null),
    300,
  );
  const conf = ctx.inspector.latestConf();
  const soft = num(conf?.task_soft_time_limit);
  const hard = num(conf?.task_time_limit);
  return soft !== null || hard !== null ? { soft, hard } : null;
}
