// Celery crontab fields: the grammar of the five fields (minute, hour, day_of_week, day_of_month,
// month_of_year) as Celery accepts them, each expanded to the values it allows.
// Pure TypeScript, so the same code can run in the browser extension.

import { daysInMonth } from "./zoned-time";

export type CrontabFieldName = "minute" | "hour" | "day_of_week" | "day_of_month" | "month_of_year";

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
const FIELD_RANGES: Record<CrontabFieldName, { min: number; max: number }> = {
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  day_of_week: { min: 0, max: 6 },
  day_of_month: { min: 1, max: 31 },
  month_of_year: { min: 1, max: 12 },
};

const DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

export const CRONTAB_FIELD_NAMES: readonly CrontabFieldName[] = ["minute", "hour", "day_of_week", "day_of_month", "month_of_year"];

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
  if (text === "") return fail("empty field");

  let values: number[];
  const python = expandPythonCollection(text);
  if (python !== null) {
    if (typeof python === "string") return fail(python);
    values = python;
  } else {
    values = [];
    for (const rawPart of text.split(",")) {
      const part = rawPart.trim();
      if (part === "") return fail("empty item in list");
      const expanded = expandPart(name, part);
      if (typeof expanded === "string") return fail(expanded);
      values.push(...expanded);
    }
  }

  const { min, max } = FIELD_RANGES[name];
  const top = name === "day_of_week" ? 7 : max;
  for (const v of values) {
    if (v < min || v > top) return fail(`${v} is out of range ${min}-${max}`);
  }
  // Sunday may be written 7; store it once, as 0.
  const normalised = name === "day_of_week" ? values.map((v) => v % 7) : values;
  const sorted = [...new Set(normalised)].sort((a, b) => a - b);
  if (sorted.length === 0) return fail("no values");
  return { ok: true, value: sorted };
}

/** One comma-separated item. Returns the values, or a problem description. */
function expandPart(name: CrontabFieldName, part: string): number[] | string {
  const { min, max } = FIELD_RANGES[name];
  const slash = part.indexOf("/");
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
  if (base === "*") {
    sequence = rangeInclusive(min, max);
  } else {
    const dash = base.indexOf("-", 1);
    if (dash === -1) {
      // Celery rejects "5/15": a step needs a range or '*' in front of it.
      if (slash !== -1) return `step "/${step}" needs a range or * before it`;
      const single = parseToken(name, base);
      return typeof single === "string" ? single : [single];
    }
    const from = parseToken(name, base.slice(0, dash));
    if (typeof from === "string") return from;
    const to = parseToken(name, base.slice(dash + 1));
    if (typeof to === "string") return to;
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
  if (name === "day_of_week" && from === 7) return expandRange(name, 0, to);
  if (from > max) return [from]; // out of range: reported by the caller's range check
  return [...rangeInclusive(from, max), ...rangeInclusive(min, to)];
}

function parseToken(name: CrontabFieldName, token: string): number | string {
  if (/^\d+$/.test(token)) return Number(token);
  if (name === "day_of_week") {
    // Celery looks at the first three letters; accept "mon", "Monday", "tues", ...
    const lower = token.toLowerCase();
    const day = DAY_NAMES.findIndex((full) => lower.length >= 3 && full.startsWith(lower));
    if (day !== -1) return day;
    return `"${token}" is not a number or a day name`;
  }
  if (token.startsWith("-")) return `negative numbers are not allowed ("${token}")`;
  return `"${token}" is not a number`;
}

/** Python reprs of sets/lists/tuples of ints and of range(). null = not such a repr. */
function expandPythonCollection(text: string): number[] | string | null {
  if (text === "set()") return [];
  const range = /^range\(\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?(?:,\s*(-?\d+)\s*)?\)$/.exec(text);
  if (range) {
    const nums = range
      .slice(1)
      .filter((g): g is string => g !== undefined)
      .map(Number);
    const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    if (step <= 0) return `range step must be positive`;
    const out: number[] = [];
    for (let v = start; v < stop; v += step) out.push(v);
    return out;
  }
  const open = text[0];
  const close = text[text.length - 1];
  const pairs: Record<string, string> = { "{": "}", "[": "]", "(": ")" };
  if (open === undefined || pairs[open] === undefined) return null;
  if (pairs[open] !== close) return `unbalanced brackets`;
  const items = text
    .slice(1, -1)
    .split(",")
    .map((s) => s.trim());
  if (items.length > 0 && items[items.length - 1] === "") items.pop(); // "(1,)" one-element tuple
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
  const possible = sets.month_of_year.some((month) => sets.day_of_month.some((day) => day <= maxDaysInMonth(month)));
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
