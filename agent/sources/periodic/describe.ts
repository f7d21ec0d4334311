// Human-readable text for a parsed schedule. Style: numbers always written out ("every 1 hour
// 30 minutes"), 24-hour clock, days Monday-first. Crontabs that don't phrase well fall back to
// the Python call that produced them, e.g. crontab(minute='*/7', hour='9,17').

import { CRONTAB_FIELD_NAMES, type Crontab, type CrontabFieldName } from "./crontab";
import type { ParsedSchedule } from "./schedule-repr";
import type { SolarEvent } from "./solar";
import { isUtcZone, isValidTimeZone, zonedWallClock } from "./zoned-time";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const SOLAR_NAMES: Record<SolarEvent, string> = {
  dawn_astronomical: "astronomical dawn",
  dawn_nautical: "nautical dawn",
  dawn_civil: "civil dawn",
  sunrise: "sunrise",
  solar_noon: "solar noon",
  sunset: "sunset",
  dusk_civil: "civil dusk",
  dusk_nautical: "nautical dusk",
  dusk_astronomical: "astronomical dusk",
};
/** Longer lists read worse than the raw fields. */
const MAX_LIST = 6;

/** `timeZone` is the Celery app's zone; crontab and clocked times are read in it (default UTC). */
export function describeSchedule(s: ParsedSchedule, timeZone = "UTC"): string {
  const zone = isValidTimeZone(timeZone) ? timeZone : "UTC";
  switch (s.kind) {
    case "interval":
      return describeInterval(s.seconds);
    case "crontab":
      return withZone(describeCrontab(s) ?? crontabCall(s), zone);
    case "solar":
      return `at ${SOLAR_NAMES[s.event]} at ${pythonFloat(s.latitude)}, ${pythonFloat(s.longitude)}`;
    case "clocked":
      return describeClocked(s.at, zone);
  }
}

function withZone(text: string, zone: string): string {
  return isUtcZone(zone) ? text : `${text} (${zone})`;
}

// ---------------------------------------------------------------------------
// Intervals

export function describeInterval(seconds: number): string {
  if (seconds < 1) return "continuously (less than a second apart)";
  const units: [number, string][] = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(plural(n, name));
    rest -= n * size;
  }
  rest = Math.round(rest * 1000) / 1000; // float noise from "0:00:00.500000"
  if (rest > 0) parts.push(plural(rest, "second"));
  return `every ${parts.join(" ")}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------
// Crontabs

function describeCrontab(c: Crontab): string | null {
  const time = timePhrase(c.sets.minute, c.sets.hour);
  if (time === null) return null;
  // "every 15 minutes" says enough on its own; a fixed time needs "every day".
  const days = dayPhrase(c, time.repeating ? "" : "every day");
  if (days === null) return null;
  return days === "" ? time.text : `${time.text} ${days}`;
}

interface TimePhrase {
  text: string;
  /** True for "every N minutes"-like phrases, false for fixed times of day. */
  repeating: boolean;
}

function timePhrase(minutes: readonly number[], hours: readonly number[]): TimePhrase | null {
  const allMinutes = minutes.length === 60;
  const allHours = hours.length === 24;

  if (minutes.length * hours.length <= MAX_LIST) {
    const times = hours.flatMap((h) => minutes.map((m) => clock(h, m)));
    return { text: `at ${joinList(times)}`, repeating: false };
  }

  const hourSpan = contiguousSpan(hours);
  const first = clock(hours[0]!, minutes[0]!);
  const last = clock(hours[hours.length - 1]!, minutes[minutes.length - 1]!);
  const during = (text: string): TimePhrase | null =>
    allHours ? { text, repeating: true } : hourSpan ? { text: `${text} from ${first} to ${last}`, repeating: true } : null;

  if (allMinutes) return during("every minute");
  const minuteStep = evenStep(minutes, 60);
  if (minuteStep !== null) return during(`every ${minuteStep} minutes`);
  if (minutes.length > MAX_LIST) return null;

  const atMinutes = `at ${minutes.length === 1 ? "minute" : "minutes"} ${joinList(minutes.map(String))}`;
  if (allHours) return { text: `${atMinutes} of every hour`, repeating: true };
  const hourStep = evenStep(hours, 24);
  if (hourStep !== null) return { text: `${atMinutes} of every ${ordinal(hourStep)} hour`, repeating: true };
  if (hourSpan) return { text: `${atMinutes} of every hour from ${first} to ${last}`, repeating: true };
  return null;
}

/** Day restriction ('everyDay' when there is none), null when too complex. */
function dayPhrase(c: Crontab, everyDay: string): string | null {
  const { day_of_week: dow, day_of_month: dom, month_of_year: moy } = c.sets;
  const allDow = dow.length === 7;
  const allDom = dom.length === 31;
  const allMoy = moy.length === 12;

  const months = allMoy ? "" : compress(moy, (m) => MONTH_NAMES[m - 1]!);
  const weekdays = allDow ? "" : weekdayList(dow);
  if (months === null || weekdays === null) return null;

  const parts: string[] = [];
  if (!allDom) {
    const days = compress(dom, String);
    if (days === null) return null;
    parts.push(`on ${dom.length === 1 ? "day" : "days"} ${days} of ${allMoy ? "the month" : months}`);
    // Celery requires day of month AND day of week to match.
    if (!allDow) parts.push(`if it falls on ${weekdays}`);
    return parts.join(", ");
  }
  if (!allDow) parts.push(isRange(weekdays) ? weekdays : `on ${weekdays}`);
  else if (everyDay) parts.push(everyDay);
  if (!allMoy) parts.push(isRange(months) ? `from ${months}` : `in ${months}`);
  return parts.join(" ");
}

/** "Monday to Friday", "Saturday and Sunday"; runs may wrap through the weekend ("Friday to Monday"). */
function weekdayList(days: readonly number[]): string | null {
  // Monday-first positions, rotated to start right after a gap so a wrapping run stays in one piece.
  const positions = new Set(days.map((d) => (d + 6) % 7));
  let start = 0;
  while (start < 7 && !(positions.has(start) && !positions.has((start + 6) % 7))) start += 1;
  if (start === 7) start = 0; // all seven days: no gap to start after
  const ordered: number[] = [];
  for (let i = 0; i < 7; i++) {
    const p = (start + i) % 7;
    if (positions.has(p)) ordered.push(p);
  }
  // Compress on the rotated index so runs are consecutive numbers.
  const rotated = ordered.map((p) => (p - start + 7) % 7);
  return compress(rotated, (r) => DAY_NAMES[(((r + start) % 7) + 1) % 7]!);
}

/** Runs of 3+ consecutive values become "a to b"; the rest are listed. null if the list is too long. */
function compress(values: readonly number[], name: (v: number) => string): string | null {
  const items: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j += 1;
    if (j - i >= 2) {
      items.push(`${name(values[i]!)} to ${name(values[j]!)}`);
    } else {
      for (let k = i; k <= j; k++) items.push(name(values[k]!));
    }
    i = j + 1;
  }
  return items.length > MAX_LIST ? null : joinList(items);
}

function isRange(text: string): boolean {
  return / to /.test(text) && !/,| and /.test(text);
}

/** k when values are 0, k, 2k, ... covering the whole cycle evenly (k divides the cycle), else null. */
function evenStep(values: readonly number[], cycle: number): number | null {
  if (values.length < 2 || values[0] !== 0) return null;
  const step = values[1]!;
  if (cycle % step !== 0 || values.length !== cycle / step) return null;
  return values.every((v, i) => v === i * step) ? step : null;
}

function contiguousSpan(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v === values[i - 1]! + 1);
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function clock(h: number, m: number): string {
  return `${pad(h)}:${pad(m)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** The fallback: the crontab(...) call as it would be written in Python, '*' fields left out. */
function crontabCall(c: Crontab): string {
  const args = CRONTAB_FIELD_NAMES.filter((name: CrontabFieldName) => c.fields[name].trim() !== "*").map((name) => `${name}=${pythonArg(c.fields[name])}`);
  return `crontab(${args.join(", ")})`;
}

function pythonArg(field: string): string {
  const text = field.trim();
  // Sets, lists, tuples and range() were Python values, not strings.
  if (/^[{[(]|^range\(|^set\(\)$/.test(text)) return text;
  return `'${text}'`;
}

// ---------------------------------------------------------------------------
// Solar and clocked

/** Python prints floats with at least one decimal: -74.0, 40.7128. */
function pythonFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function describeClocked(at: Date, zone: string): string {
  const w = zonedWallClock(at.getTime(), zone);
  const time = `${w.year}-${pad(w.month)}-${pad(w.day)} ${clock(w.hour, w.minute)}${w.second ? `:${pad(w.second)}` : ""}`;
  return isUtcZone(zone) ? `once at ${time} UTC` : `once at ${time} (${zone})`;
}
