import { TaskQuerySchema, type TaskDetail, type TaskList } from "../api/schema";
import { hideDetailPayloads, hideRowPayloads, taskDetail, taskRow } from "./present/tasks";
import type { Cursor } from "../sources/tasks/cursor";
import type { TaskFilter, TaskSort } from "../sources/tasks/query";
import type { TaskRecord } from "../sources/tasks/record";
import { payloadHidden, type Access } from "./access";
import { subjectFindings } from "./subject-findings";
import { decodeCursor } from "../sources/tasks/cursor";
import { newRecord } from "../sources/tasks/record";
import { applyMeta } from "../sources/tasks/record-merge";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import { atMost, sourceOfTasks, type Ctx } from "./context";
import { badRequest, HttpError, notFound } from "./errors";
import { listTasksFromDb, taskDetailFromDb } from "./django";
import { readWaiting } from "./queues";

/** ISO 8601 or unix seconds; a bad value names the parameter. */
function parseTime(param: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) throw badRequest(`${param}: "${v}" is not a time (ISO 8601 or unix seconds)`);
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
  const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !cursor) throw badRequest("cursor: not a cursor this agent issued");
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
  if (ctx.options.tasksDb) {
    const list = await listTasksFromDb(ctx, filter, sort, q.limit, cursor, sourceOfTasks(ctx), { searchPayloads: !hidden });
    return { ...list, tasks: hidden ? list.tasks.map((r) => hideRowPayloads(r, hidden)) : list.tasks, waiting };
  }
  // The store's search also matches arguments and results: a caller who may not see them must
  // not find tasks by them either (else probing would read them back, a letter at a time).
  const page = hidden && filter.q ? searchVisibleFields(ctx, filter, sort, q.limit, cursor) : ctx.tasks.query(filter, sort, q.limit, cursor);
  const rows = page.tasks.map(taskRow);
  return {
    tasks: hidden ? rows.map((r) => hideRowPayloads(r, hidden)) : rows,
    total: page.total,
    limit: q.limit,
    next_cursor: page.nextCursor,
    source: `${sourceOfTasks(ctx)} + messages waiting in the broker's queues`,
    waiting,
  };
}

const SEARCH_STEP = 1000;

/**
 * A search on id and name only. Those matches are a subset of the store's own (which also looks
 * in payloads), so its matches are walked in order and the rest dropped; the cursor returned is the
 * store's, after the last task kept. Slower than a full search, which is the price of a limited token.
 */
function searchVisibleFields(
  ctx: Ctx,
  filter: TaskFilter,
  sort: TaskSort,
  limit: number,
  from: Cursor | null,
): { tasks: TaskRecord[]; total: number; nextCursor: string | null } {
  const q = filter.q!;
  const visible = (t: TaskRecord) => t.id.toLowerCase().includes(q) || (t.name?.toLowerCase().includes(q) ?? false);
  const walk = (start: Cursor | null, each: (t: TaskRecord) => boolean) => {
    let cursor = start;
    for (;;) {
      const page = ctx.tasks.query(filter, sort, SEARCH_STEP, cursor);
      for (const t of page.tasks) if (!each(t)) return;
      if (!page.nextCursor) return;
      cursor = decodeCursor(page.nextCursor);
    }
  };
  let total = 0;
  walk(null, (t) => {
    if (visible(t)) total++;
    return true;
  });
  const tasks: TaskRecord[] = [];
  // How many of the store's matches lead up to the last task kept: the store's cursor after that many.
  let walked = 0;
  let more = false;
  walk(from, (t) => {
    if (!visible(t)) {
      walked++;
      return true;
    }
    if (tasks.length === limit) {
      more = true;
      return false;
    }
    tasks.push(t);
    walked++;
    return true;
  });
  const nextCursor = more ? cursorAfter(ctx, filter, sort, from, walked) : null;
  return { tasks, total, nextCursor };
}

function cursorAfter(ctx: Ctx, filter: TaskFilter, sort: TaskSort, from: Cursor | null, n: number): string | null {
  let cursor = from;
  let next: string | null = null;
  for (let left = n; left > 0; left -= SEARCH_STEP) {
    next = ctx.tasks.query(filter, sort, Math.min(left, SEARCH_STEP), cursor).nextCursor;
    if (!next) return null;
    cursor = decodeCursor(next);
  }
  return next;
}

/** What a task id may look like (anything else is a 400, not a lookup). */
export const TASK_ID = /^[\w.:@-]{1,200}$/;

export async function getTask(ctx: Ctx, id: string, access: Access): Promise<TaskDetail> {
  if (!TASK_ID.test(id)) throw badRequest(`id: "${id.slice(0, 60)}" is not a task id`);
  const found = ctx.options.tasksDb ? await fromTasksDb(ctx, id) : await fromStoreOrBackend(ctx, id);
  const detail = { ...found, findings: await subjectFindings(ctx, "task", id, access) };
  const hidden = payloadHidden(access);
  if (!hidden) return detail;
  const shown = hideDetailPayloads(detail, hidden);
  // django-celery-results' meta can hold the task's arguments (result_extended): hidden with them.
  return isRecord(shown.database) ? { ...shown, database: { ...shown.database, meta: hidden } } : shown;
}

async function fromTasksDb(ctx: Ctx, id: string): Promise<TaskDetail> {
  const d = await taskDetailFromDb(ctx, id, { children: [...ctx.tasks.childrenOf(id)], timeLimit: await timeLimit(ctx) }, sourceOfTasks(ctx));
  if (!d) throw notFound(`no task with id "${id}" is known to the agent or the tasks database`);
  return d;
}

async function fromStoreOrBackend(ctx: Ctx, id: string): Promise<TaskDetail> {
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
  return taskDetail(t, { children, timeLimit: await timeLimit(ctx), source: sourceOfTasks(ctx) });
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
