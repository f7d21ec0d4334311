/** A django-celery-beat periodic task as the Periodic view lists it (beside the beat_schedule and RedBeat entries). */
import type { PeriodicTask } from "../../api/schema";
import type { DbPeriodicTask } from "../../sources/django/beat";
import { iso } from "../context";

export function periodicTaskFromDb(p: DbPeriodicTask): PeriodicTask {
  return {
    name: p.name,
    task: p.task,
    schedule_kind: p.schedule.kind,
    schedule: p.schedule.human,
    schedule_raw: p.schedule.raw,
    args: p.args,
    kwargs: p.kwargs,
    options: p.options,
    enabled: p.enabled,
    last_run: iso(p.lastRun),
    total_run_count: p.totalRunCount,
    next_run: iso(p.nextRun),
    source: "django_celery_beat",
    error: p.schedule.error ?? null,
    queue: p.queue,
    exchange: p.exchange,
    routing_key: p.routingKey,
    priority: p.priority,
    one_off: p.oneOff,
    start_time: iso(p.startTime),
    expires: iso(p.expires),
    date_changed: iso(p.dateChanged),
    description: p.description,
    timezone: p.timeZone,
  };
}
