// Celery crontab schedules: field expansion and next fire time in an IANA time zone.
// Pure TypeScript (Intl only) so the same code can run in the browser extension.

export type CrontabFieldName = 'minute' | 'hour' | 'day_of_week' | 'day_of_month' | 'month_of_year';

/** The five fields as Celery printed them (e.g. "*\/15", "mon-fri", "{0, 30}"). */
export type CrontabFields = Record<CrontabFieldName, string>;

/** Each field expanded to the sorted, de-duplicated values it allows. Sunday is 0 (7 is folded into 0). */
export type CrontabSets = Record<CrontabFieldName, readonly number[]>;

export interface Crontab {
  fields: CrontabFields;
  sets: CrontabSets;
}

export type CrontabResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Inclusive value range of each field. day_of_week also accepts 7 as Sunday, like Unix cron. */
export const FIELD_RANGES: Record<CrontabFieldName, { min: number; max: number }> = {
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  day_of_week: { min: 0, max: 6 },
  day_of_month: { min: 1, max: 31 },
  month_of_year: { min: 1, max: 12 },
};

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export const CRONTAB_FIELD_NAMES: readonly CrontabFieldName[] = [
  'minute',
  'hour',
  'day_of_week',
  'day_of_month',
  'month_of_year',
];

// ---------------------------------------------------------------------------
// Field expansion

/**
 * Expand one field to its allowed values. Follows Celery's crontab_parser:
 * `*`, `*\/n`, `a`, `a-b`, `a-b/n`, comma lists, ranges that wrap (`fri-mon`, `22-2`),
 * day names in day_of_week; and Python reprs of the other types Celery accepts
 * (`{0, 30}`, `[0, 30]`, `(0, 30)`, `range(0, 5)`), which show up when a schedule
 * was built from a set/list rather than a string.
 */
export function expandCrontabField(name: CrontabFieldName, spec: string): CrontabResult<number[]> {
  const fail = (problem: string): CrontabResult<number[]> => ({
    ok: false,
    error: `${name} field "${spec}": ${problem}`,
  });
  const text = spec.trim();
  if (text === '') return fail('empty field');

  let values: number[];
  const python = expandPythonCollection(text);
  if (python !== null) {
    if (typeof python === 'string') return fail(python);
    values = python;
  } else {
    values = [];
    for (const rawPart of text.split(',')) {
      const part = rawPart.trim();
      if (part === '') return fail('empty item in list');
      const expanded = expandPart(name, part);
      if (typeof expanded === 'string') return fail(expanded);
      values.push(...expanded);
    }
  }

  const { min, max } = FIELD_RANGES[name];
  const top = name === 'day_of_week' ? 7 : max;
  for (const v of values) {
    if (v < min || v > top) return fail(`${v} is out of range ${min}-${max}`);
  }
  // Sunday may be written 7; store it once, as 0.
  const normalised = name === 'day_of_week' ? values.map((v) => v % 7) : values;
  const sorted = [...new Set(normalised)].sort((a, b) => a - b);
  if (sorted.length === 0) return fail('no values');
  return { ok: true, value: sorted };
}

/** One comma-separated item. Returns the values, or a problem description. */
function expandPart(name: CrontabFieldName, part: string): number[] | string {
  const { min, max } = FIELD_RANGES[name];
  const slash = part.indexOf('/');
  const base = slash === -1 ? part : part.slice(0, slash);
  let step = 1;
  if (slash !== -1) {
    const stepText = part.slice(slash + 1);
    if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
      return `step "${stepText}" must be a positive integer`;
    }
    step = Number(stepText);
  }

  let sequence: number[];
  if (base === '*') {
    sequence = rangeInclusive(min, max);
  } else {
    const dash = base.indexOf('-', 1);
    if (dash === -1) {
      // Celery rejects "5/15": a step needs a range or '*' in front of it.
      if (slash !== -1) return `step "/${step}" needs a range or * before it`;
      const single = parseToken(name, base);
      return typeof single === 'string' ? single : [single];
    }
    const from = parseToken(name, base.slice(0, dash));
    if (typeof from === 'string') return from;
    const to = parseToken(name, base.slice(dash + 1));
    if (typeof to === 'string') return to;
    sequence = expandRange(name, from, to);
  }
  // Celery applies the step as a slice of the expanded sequence (Python's [::step]).
  return sequence.filter((_, i) => i % step === 0);
}

/** a-b; when b < a the range wraps past the field's maximum, as in Celery ("fri-mon", "22-2"). */
function expandRange(name: CrontabFieldName, from: number, to: number): number[] {
  const { min, max } = FIELD_RANGES[name];
  if (from <= to) return rangeInclusive(from, to);
  // Sunday written as 7 at the start of a wrapping range is just Sunday (0).
  if (name === 'day_of_week' && from === 7) return expandRange(name, 0, to);
  if (from > max) return [from]; // out of range: reported by the caller's range check
  return [...rangeInclusive(from, max), ...rangeInclusive(min, to)];
}

function parseToken(name: CrontabFieldName, token: string): number | string {
  if (/^\d+$/.test(token)) return Number(token);
  if (name === 'day_of_week') {
    // Celery looks at the first three letters; accept "mon", "Monday", "tues", ...
    const lower = token.toLowerCase();
    const day = DAY_NAMES.findIndex((full) => lower.length >= 3 && full.startsWith(lower));
    if (day !== -1) return day;
    return `"${token}" is not a number or a day name`;
  }
  if (token.startsWith('-')) return `negative numbers are not allowed ("${token}")`;
  return `"${token}" is not a number`;
}

/** Python reprs of sets/lists/tuples of ints and of range(). null = not such a repr. */
function expandPythonCollection(text: string): number[] | string | null {
  if (text === 'set()') return [];
  const range = /^range\(\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?(?:,\s*(-?\d+)\s*)?\)$/.exec(text);
  if (range) {
    const nums = range.slice(1).filter((g): g is string => g !== undefined).map(Number);
    const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    if (step <= 0) return `range step must be positive`;
    const out: number[] = [];
    for (let v = start; v < stop; v += step) out.push(v);
    return out;
  }
  const open = text[0];
  const close = text[text.length - 1];
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  if (open === undefined || pairs[open] === undefined) return null;
  if (pairs[open] !== close) return `unbalanced brackets`;
  const items = text.slice(1, -1).split(',').map((s) => s.trim());
  if (items.length > 0 && items[items.length - 1] === '') items.pop(); // "(1,)" one-element tuple
  const out: number[] = [];
  for (const item of items) {
    if (!/^-?\d+$/.test(item)) return `"${item}" is not an integer`;
    out.push(Number(item));
  }
  return out;
}

function rangeInclusive(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v++) out.push(v);
  return out;
}

/**
 * Expand all five fields. Also rejects schedules that can never fire (30 February),
 * which Celery accepts but then fails on at run time ("unable to rollover").
 */
export function buildCrontab(fields: CrontabFields): CrontabResult<Crontab> {
  const sets = {} as Record<CrontabFieldName, readonly number[]>;
  for (const name of CRONTAB_FIELD_NAMES) {
    const r = expandCrontabField(name, fields[name]);
    if (!r.ok) return r;
    sets[name] = r.value;
  }
  const possible = sets.month_of_year.some((month) =>
    sets.day_of_month.some((day) => day <= maxDaysInMonth(month)),
  );
  if (!possible) {
    return {
      ok: false,
      error: `never fires: day_of_month "${fields.day_of_month}" does not occur in month_of_year "${fields.month_of_year}"`,
    };
  }
  return { ok: true, value: { fields: { ...fields }, sets } };
}

function maxDaysInMonth(month: number): number {
  return month === 2 ? 29 : daysInMonth(2001, month);
}

// ---------------------------------------------------------------------------
// Time zones through Intl (no Node APIs, no tz database of our own)

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
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
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
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
function zoneOffset(instantMs: number, timeZone: string): number {
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

// ---------------------------------------------------------------------------
// Next fire time

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
  throw new Error('nextCrontabRun: crontab never fires');
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

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Sunday ... 6 = Saturday, as in Celery. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
