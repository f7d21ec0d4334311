// Wall-clock time in an IANA time zone, and the calendar arithmetic around it: what a zone's clock
// reads at an instant, when it first reads a given time (clock changes included), days in a month.
// Through Intl only (no Node APIs, no tz database of our own), so it can run in the browser too.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Names that mean plain UTC, so descriptions can say "UTC" instead of naming a zone. */
export function isUtcZone(timeZone: string): boolean {
  return /^(etc\/)?(utc|uct|universal|zulu|greenwich|gmt([+-]?0)?)$/i.test(timeZone);
}

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local wall-clock reading of an instant in a zone. Throws RangeError for an unknown zone. */
export function zonedWallClock(instantMs: number, timeZone: string): WallClock {
  if (isUtcZone(timeZone)) return utcWallClock(instantMs);
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

function utcWallClock(ms: number): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Offset (local minus UTC, ms) in force at an instant. */
export function zoneOffset(instantMs: number, timeZone: string): number {
  if (isUtcZone(timeZone)) return 0;
  const w = zonedWallClock(instantMs, timeZone);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wall - (instantMs - mod(instantMs, 1000));
}

/**
 * The first instant at which a zone's wall clock reaches `wallMs` (a wall-clock time encoded as if
 * it were UTC). This is when Celery's beat (5.2, which compares wall-clock times) runs a crontab:
 * - a time that occurs twice when clocks go back: its first occurrence;
 * - a time skipped when clocks go forward: the moment of the change, when the clock jumps past it
 *   (02:30 on a spring-forward day in Paris runs at 03:00 CEST).
 */
export function zonedWallToInstant(wallMs: number, timeZone: string): number {
  // Offsets a day either side of the target are the ones in force before and after any change near it.
  const before = zoneOffset(wallMs - DAY, timeZone);
  const after = zoneOffset(wallMs + DAY, timeZone);
  const valid = [wallMs - before, wallMs - after].filter((t) => zoneOffset(t, timeZone) === wallMs - t);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: the change happened in (wallMs - after, wallMs - before]; find it to the second.
  let lo = wallMs - after;
  let hi = wallMs - before;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (zoneOffset(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Sunday ... 6 = Saturday, as in Celery. */
export function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
