// One beat_schedule value in, what the panel shows out: kind, text, next run.

import { nextCrontabRun } from "./crontab";
import { describeSchedule } from "./describe";
import { isScheduleParseError, parseScheduleRepr, reprOf } from "./schedule-repr";
import { nextSolarRun } from "./solar";
import { isValidTimeZone } from "./zoned-time";

export type ScheduleKind = "interval" | "crontab" | "solar" | "clocked" | "unknown";

export interface ComputedSchedule {
  kind: ScheduleKind;
  human: string;
  /** ISO 8601 UTC, or null when it cannot be known (or never comes). */
  next_run: string | null;
  raw: string;
  error?: string;
}

export interface ComputeOptions {
  now: Date;
  /** The Celery app's `timezone` setting; crontabs fire on its wall clock. */
  timeZone: string;
  /** When beat last sent the task, if known. */
  lastRun?: Date | null;
}

export function computeSchedule(value: unknown, opts: ComputeOptions): ComputedSchedule {
  const raw = reprOf(value);
  const parsed = parseScheduleRepr(value);
  if (isScheduleParseError(parsed)) {
    return { kind: "unknown", human: raw, next_run: null, raw, error: parsed.error };
  }

  const now = opts.now.getTime();
  // A bad zone should not hide the schedule: compute in UTC and say so.
  const zoneOk = isValidTimeZone(opts.timeZone);
  const timeZone = zoneOk ? opts.timeZone : "UTC";
  const zoneError = zoneOk ? undefined : `unknown time zone "${opts.timeZone}", times computed in UTC`;
  const result = (nextRun: number | null, error = zoneError): ComputedSchedule => ({
    kind: parsed.kind,
    human: describeSchedule(parsed, timeZone),
    next_run: nextRun === null ? null : new Date(nextRun).toISOString(),
    raw,
    ...(error === undefined ? {} : { error }),
  });
  if (!Number.isFinite(now)) return result(null, 'invalid "now"');

  switch (parsed.kind) {
    case "interval": {
      // Beat keeps last-run times in its own schedule file, which we cannot read; without one
      // the next run is unknown. An overdue run is due now.
      const last = opts.lastRun?.getTime();
      if (last === undefined || !Number.isFinite(last)) return result(null);
      return result(Math.max(last + parsed.seconds * 1000, now));
    }
    case "crontab":
      return result(nextCrontabRun(parsed, opts.now, timeZone).getTime());
    case "solar":
      return result(nextSolarRun(parsed.event, parsed.latitude, parsed.longitude, opts.now)?.getTime() ?? null);
    case "clocked": {
      const at = parsed.at.getTime();
      return result(at > now ? at : null);
    }
  }
}
