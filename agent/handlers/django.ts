/**
 * The tasks and periodic-tasks views when they come from Django's databases (--tasks-db,
 * --beat-db). The tasks list is the table's, in SQL; each row a task the live store also holds is
 * merged with it (runtime, queue, timeline from events). On the first page of the newest-first
 * listing, unfinished tasks the live store holds and the table does not have yet (no row is written
 * before the task starts, or ends without task_track_started) come first, and count in the total.
 */
import type { TaskDetail, TaskList } from "../api/schema";
import { encodeCursor, type Cursor } from "../sources/tasks/cursor";
import type { TaskFilter, TaskSort } from "../sources/tasks/query";
import { taskDetail, taskRow } from "./present/tasks";
import { isFinished, type TaskRecord } from "../sources/tasks/record";
import { DbUnavailable } from "../sources/django/db";
import { mergeWithLive } from "../sources/django/merge";
import { UnsupportedSort, type DbTask, type DjangoTaskSource } from "../sources/django/tasks";
import type { DbPeriodicTask, DjangoBeatSource } from "../sources/django/beat";
import { badRequest, HttpError, notFound } from "./errors";
import { childIds } from "../protocol/result-meta";
import type { Ctx } from "./context";

/** Queue filter and live-only tasks look at this many live tasks at most. */
const LIVE_SCAN = 2000;

function unavailable(view: string, e: unknown): HttpError {
  return new HttpError(503, "database_unavailable", `${view} database unavailable: ${e instanceof Error ? e.message : String(e)}`);
}

export function tasksSource(ctx: Ctx): DjangoTaskSource {
  const s = ctx.django.tasks;
  if (!s)
    throw new HttpError(503, "database_unavailable", `tasks database ${ctx.options.tasksDb?.description}: ${ctx.django.brokenReason("tasks") ?? "not open"}`);
  return s;
}

export function beatSource(ctx: Ctx): DjangoBeatSource {
  const s = ctx.django.beat;
  if (!s)
    throw new HttpError(503, "database_unavailable", `beat database ${ctx.options.beatDb?.description}: ${ctx.django.brokenReason("beat") ?? "not open"}`);
  return s;
}

/** `searchPayloads` false: `q` looks at ids and names only (a caller who may not see payloads must not find tasks by them). */
export async function listTasksFromDb(
  ctx: Ctx,
  filter: TaskFilter,
  sort: TaskSort,
  limit: number,
  cursor: Cursor | null,
  source: string,
  opts: { searchPayloads: boolean },
): Promise<TaskList> {
  const src = tasksSource(ctx);
  const onQueue = filter.queue === undefined ? null : liveIds(ctx, { ...filter, states: undefined, q: undefined });
  const firstNewest = cursor === null && sort.by === "received" && sort.order === "desc";
  try {
    let liveOnly: TaskRecord[] = [];
    if (firstNewest) {
      const q = filter.q;
      const findable = (t: TaskRecord) => opts.searchPayloads || !q || t.id.toLowerCase().includes(q) || (t.name?.toLowerCase().includes(q) ?? false);
      const unfinished = ctx.tasks.query(filter, sort, LIVE_SCAN, null).tasks.filter((t) => !isFinished(t) && findable(t));
      const stored = await src.existing(unfinished.map((t) => t.id));
      liveOnly = unfinished.filter((t) => !stored.has(t.id));
    }
    const shown = liveOnly.slice(0, limit);
    // A page full of live tasks still hands out a cursor: the table's rows follow from the top.
    const page = await src.list(filter, sort, limit - shown.length, cursor, onQueue, opts);
    const rows = page.tasks.map((d) => taskRow(mergeWithLive(d, ctx.tasks.get(d.record.id))));
    const nextCursor = shown.length === limit && page.total > 0 ? encodeCursor({ v: Infinity, seq: Number.MAX_SAFE_INTEGER }) : page.nextCursor;
    return { tasks: [...shown.map(taskRow), ...rows], total: page.total + liveOnly.length, limit, next_cursor: nextCursor, source };
  } catch (e) {
    if (e instanceof UnsupportedSort) throw badRequest(e.message);
    if (e instanceof DbUnavailable) throw unavailable("tasks", e);
    throw e;
  }
}

/** Ids of the live tasks matching `filter` (the table has no queue column: queues are known live). */
function liveIds(ctx: Ctx, filter: TaskFilter): string[] {
  return ctx.tasks.query(filter, { by: "received", order: "desc" }, LIVE_SCAN, null).tasks.map((t) => t.id);
}

/** One task from the table merged with the live store; null when neither knows it. */
export async function taskDetailFromDb(
  ctx: Ctx,
  id: string,
  extras: { children: string[]; timeLimit: TaskDetail["time_limit"] },
  source: string,
): Promise<TaskDetail | null> {
  const live = ctx.tasks.get(id);
  let row: DbTask | null;
  try {
    row = await tasksSource(ctx).get(id);
  } catch (e) {
    // The live store still knows it: show that, and say the table could not be read.
    if (live && (e instanceof DbUnavailable || e instanceof HttpError)) {
      return taskDetail(live, { ...extras, source: `${source} (database unavailable: ${e.message})` });
    }
    if (e instanceof DbUnavailable) throw unavailable("tasks", e);
    throw e;
  }
  if (!row && live) return taskDetail(live, { ...extras, source });
  if (!row) {
    const group = await tasksSource(ctx)
      .group(id)
      .catch(() => null);
    if (group) {
      const members = childIds([group.result]).filter((x) => x !== id);
      throw notFound(
        `"${id}" is a group, not a task (django_celery_results_groupresult, saved ${group.date_done ?? "?"}): its tasks are ${members.join(", ") || "unknown"}`,
      );
    }
    return null;
  }
  const merged = mergeWithLive(row, live);
  return { ...taskDetail(merged, { ...extras, source }), database: row.extras };
}

export async function periodicFromDb(ctx: Ctx, timeZone: string): Promise<DbPeriodicTask[]> {
  try {
    return await beatSource(ctx).list(timeZone);
  } catch (e) {
    if (e instanceof DbUnavailable) throw unavailable("periodic tasks (beat)", e);
    throw e;
  }
}
