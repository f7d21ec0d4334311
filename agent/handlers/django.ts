/**
 * Django's databases (--tasks-db, --beat-db) for the handlers: the open table or why it is not, and
 * the periodic-tasks view read from django-celery-beat. The tasks view's source over the table is
 * sources/django/results-source.ts.
 */
import { DbUnavailable } from "../base/sql/db";
import type { DjangoTaskSource } from "../sources/django/tasks";
import type { DbPeriodicTask, DjangoBeatSource } from "../sources/django/beat";
import { HttpError } from "./errors";
import type { Ctx } from "./context";

export function dbUnavailable(view: string, e: unknown): HttpError {
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

export async function periodicFromDb(ctx: Ctx, timeZone: string): Promise<DbPeriodicTask[]> {
  try {
    return await beatSource(ctx).list(timeZone);
  } catch (e) {
    if (e instanceof DbUnavailable) throw dbUnavailable("periodic tasks (beat)", e);
    throw e;
  }
}
