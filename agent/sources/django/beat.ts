/**
 * Periodic tasks from django-celery-beat's tables (the DatabaseScheduler's truth): each task with
 * its interval, crontab, solar or clocked schedule, enabled flag, last run and run count. The
 * schedule is written as the repr Celery prints for it, so the panel's own schedule code
 * (sources/periodic) describes it and computes the next run. Arguments and options come masked.
 */
import { type ComputedSchedule, computeSchedule } from "../periodic";
import { maskSecrets } from "../../base/mask";
import { parseDbTime, type Db, type Row } from "../../base/sql/db";

const T = "django_celery_beat_";

/** A periodic task as django-celery-beat stores it, its schedule computed; times in ms. */
export interface DbPeriodicTask {
  name: string;
  task: string;
  schedule: ComputedSchedule;
  args: unknown;
  kwargs: unknown;
  /** queue, exchange, routing_key, priority, expire_seconds, headers: those set. */
  options: Record<string, unknown>;
  enabled: boolean;
  lastRun: number | null;
  totalRunCount: number | null;
  /** null: beat sends nothing more (disabled, expired, a one-off that ran), or it cannot be known. */
  nextRun: number | null;
  queue: string | null;
  exchange: string | null;
  routingKey: string | null;
  priority: number | null;
  oneOff: boolean;
  startTime: number | null;
  expires: number | null;
  dateChanged: number | null;
  description: string | null;
  /** The zone the schedule fires in. */
  timeZone: string;
}

/** Seconds in one unit of IntervalSchedule.period. */
const PERIOD_SECONDS: Record<string, number> = { days: 86400, hours: 3600, minutes: 60, seconds: 1, microseconds: 1e-6 };

export class DjangoBeatSource {
  constructor(readonly db: Db) {}

  get description(): string {
    return `django-celery-beat tables (${T}periodictask) on ${this.db.target.description}`;
  }

  async list(appTimeZone: string, now = new Date()): Promise<DbPeriodicTask[]> {
    const tt = (c: string) => this.db.dialect.timeText(c);
    const rows = await this.db.query(
      `SELECT pt.id, pt.name, pt.task, pt.args, pt.kwargs, pt.queue, pt.exchange, pt.routing_key, pt.headers, pt.priority,
        ${tt("pt.expires")} AS expires, pt.expire_seconds, pt.one_off, ${tt("pt.start_time")} AS start_time, pt.enabled,
        ${tt("pt.last_run_at")} AS last_run_at, pt.total_run_count, ${tt("pt.date_changed")} AS date_changed, pt.description,
        i.every AS interval_every, i.period AS interval_period,
        c.minute, c.hour, c.day_of_week, c.day_of_month, c.month_of_year, c.timezone AS crontab_timezone,
        s.event AS solar_event, s.latitude AS solar_latitude, s.longitude AS solar_longitude,
        ${tt("k.clocked_time")} AS clocked_time
      FROM ${T}periodictask pt
      LEFT JOIN ${T}intervalschedule i ON i.id = pt.interval_id
      LEFT JOIN ${T}crontabschedule c ON c.id = pt.crontab_id
      LEFT JOIN ${T}solarschedule s ON s.id = pt.solar_id
      LEFT JOIN ${T}clockedschedule k ON k.id = pt.clocked_id
      ORDER BY pt.name`,
      [],
    );
    return rows.map((r) => periodicFromRow(r, appTimeZone, now));
  }
}

/** The schedule as Celery's repr of it, and the zone it fires in. */
function scheduleOf(r: Row, appTimeZone: string): { repr: unknown; timeZone: string } {
  if (r.interval_every !== null && r.interval_every !== undefined) {
    const unit = PERIOD_SECONDS[String(r.interval_period)];
    return {
      repr: unit === undefined ? `<interval: ${String(r.interval_every)} ${String(r.interval_period)}>` : Number(r.interval_every) * unit,
      timeZone: appTimeZone,
    };
  }
  if (r.minute !== null && r.minute !== undefined) {
    const fields = [r.minute, r.hour, r.day_of_week, r.day_of_month, r.month_of_year].map(String).join(" ");
    return { repr: `<crontab: ${fields} (m/h/d/dM/MY)>`, timeZone: typeof r.crontab_timezone === "string" && r.crontab_timezone ? r.crontab_timezone : "UTC" };
  }
  if (r.solar_event !== null && r.solar_event !== undefined) {
    return {
      repr: `<solar: ${String(r.solar_event)} at latitude ${Number(r.solar_latitude)}, longitude: ${Number(r.solar_longitude)}>`,
      timeZone: appTimeZone,
    };
  }
  if (r.clocked_time !== null && r.clocked_time !== undefined) return { repr: `<clocked: ${String(r.clocked_time)}+00:00>`, timeZone: appTimeZone };
  return { repr: "no schedule", timeZone: appTimeZone };
}

const text = (v: unknown): string | null => (v === null || v === undefined || v === "" ? null : String(v));
const msOf = (v: unknown): number | null => {
  const us = parseDbTime(v);
  return us === null ? null : Math.floor(us / 1000);
};
/** SQLite stores booleans as 0/1. */
const bool = (v: unknown): boolean => v === true || v === 1 || v === "1" || v === "t";

function jsonText(v: unknown, fallback: unknown): unknown {
  if (v === null || v === undefined || v === "") return fallback;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
}

export function periodicFromRow(r: Row, appTimeZone: string, now: Date): DbPeriodicTask {
  const { repr, timeZone } = scheduleOf(r, appTimeZone);
  const lastRun = msOf(r.last_run_at);
  const startTime = msOf(r.start_time);
  const expires = msOf(r.expires);
  const s = computeSchedule(repr, { now, timeZone, lastRun: lastRun === null ? null : new Date(lastRun) });
  const enabled = bool(r.enabled);
  const oneOff = bool(r.one_off);
  const runs = r.total_run_count === null || r.total_run_count === undefined ? null : Number(r.total_run_count);
  let next = s.next_run === null ? null : Date.parse(s.next_run);
  if (next !== null && startTime !== null && next < startTime) next = startTime;
  // Beat sends nothing for a disabled task, an expired one, or a one-off that already ran.
  if (!enabled || (expires !== null && expires <= now.getTime()) || (oneOff && (runs ?? 0) > 0)) next = null;
  const options: Record<string, unknown> = {};
  for (const k of ["queue", "exchange", "routing_key"] as const) if (text(r[k]) !== null) options[k] = r[k];
  if (r.priority !== null && r.priority !== undefined) options.priority = Number(r.priority);
  if (r.expire_seconds !== null && r.expire_seconds !== undefined) options.expire_seconds = Number(r.expire_seconds);
  const headers = jsonText(r.headers, {});
  if (headers && typeof headers === "object" && Object.keys(headers).length) options.headers = headers;
  return {
    name: String(r.name),
    task: String(r.task),
    schedule: s,
    args: maskSecrets(jsonText(r.args, [])),
    kwargs: maskSecrets(jsonText(r.kwargs, {})),
    options: maskSecrets(options) as Record<string, unknown>,
    enabled,
    lastRun,
    totalRunCount: runs,
    nextRun: next,
    queue: text(r.queue),
    exchange: text(r.exchange),
    routingKey: text(r.routing_key),
    priority: r.priority === null || r.priority === undefined ? null : Number(r.priority),
    oneOff,
    startTime,
    expires,
    dateChanged: msOf(r.date_changed),
    description: text(r.description),
    timeZone,
  };
}
