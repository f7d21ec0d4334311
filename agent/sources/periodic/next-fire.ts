// When a Celery crontab fires next, in an IANA time zone, the way beat (5.2) would run it,
// clock changes included. Pure TypeScript (Intl only, through zoned-time).

import type { Crontab } from "./crontab-fields";
import { DAY, daysInMonth, HOUR, MINUTE, weekday, zonedWallClock, zonedWallToInstant, zoneOffset } from "./zoned-time";

/**
 * The first time strictly after `after` at which the crontab fires, in `timeZone`.
 * Celery semantics: month, day of month AND day of week must all match (Unix cron ORs the two day fields).
 * Around clock changes a run happens when the wall clock first reaches its time (zonedWallToInstant).
 * Walks days (skipping whole months that are excluded) and only looks at the allowed hours and
 * minutes of a matching day, so a schedule that fires once every few years still costs little.
 * Throws RangeError for an unknown time zone or invalid date, and Error if the crontab never fires
 * (buildCrontab already rejects those).
 */
export function nextCrontabRun(c: Crontab, after: Date, timeZone: string): Date {
  const afterMs = after.getTime();
  if (!Number.isFinite(afterMs)) throw new RangeError('nextCrontabRun: invalid "after" date');
  const lookup = (values: readonly number[], size: number) => {
    const table = new Array<boolean>(size).fill(false);
    for (const v of values) table[v] = true;
    return table;
  };
  const months = lookup(c.sets.month_of_year, 13);
  const daysOfMonth = lookup(c.sets.day_of_month, 32);
  const daysOfWeek = lookup(c.sets.day_of_week, 7);

  const local = zonedWallClock(afterMs, timeZone);
  let { year, month, day } = local;
  // Every date pattern repeats within the 400-year Gregorian cycle, so this bound is never reached
  // by a crontab that buildCrontab accepted.
  const lastYear = year + 401;

  while (year <= lastYear) {
    if (!months[month] || day > daysInMonth(year, month)) {
      month += 1;
      day = 1;
      if (month > 12) {
        month = 1;
        year += 1;
      }
      continue;
    }
    if (daysOfMonth[day] && daysOfWeek[weekday(year, month, day)]) {
      const run = firstRunOnDay(c, Date.UTC(year, month - 1, day), afterMs, timeZone);
      if (run !== null) return new Date(run);
    }
    day += 1;
  }
  throw new Error("nextCrontabRun: crontab never fires");
}

/** Earliest fire time on one local day (given as its midnight encoded as UTC) that is after afterMs. */
function firstRunOnDay(c: Crontab, dayWallMs: number, afterMs: number, timeZone: string): number | null {
  const { hour: hours, minute: minutes } = c.sets;
  // Offsets are at most 14 h either way, so these two instants bracket the whole local day.
  const offsetBefore = zoneOffset(dayWallMs - 14 * HOUR, timeZone);
  const offsetAfter = zoneOffset(dayWallMs + DAY + 14 * HOUR, timeZone);

  if (offsetBefore === offsetAfter) {
    // Ordinary day: one offset, so wall order is time order and the first match wins.
    for (const h of hours) {
      if (dayWallMs + (h + 1) * HOUR - offsetBefore <= afterMs) continue;
      for (const m of minutes) {
        const t = dayWallMs + h * HOUR + m * MINUTE - offsetBefore;
        if (t > afterMs) return t;
      }
    }
    return null;
  }

  // Day with a clock change: resolve each time on its own. Wall order is still time order.
  for (const h of hours) {
    for (const m of minutes) {
      const t = zonedWallToInstant(dayWallMs + h * HOUR + m * MINUTE, timeZone);
      if (t > afterMs) return t;
    }
  }
  return null;
}
