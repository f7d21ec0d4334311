// Parse the `schedule` values of beat_schedule entries as `celery inspect conf` returns them.
// The worker serialises config with celery.utils.serialization.jsonify: numbers stay numbers,
// timedeltas become str(timedelta), and schedule objects become their Python repr.

import { buildCrontab, CRONTAB_FIELD_NAMES, type Crontab, type CrontabFieldName, type CrontabFields } from "./crontab";
import { isSolarEvent, type SolarEvent } from "./solar";

export type ParsedSchedule =
  | { kind: "interval"; seconds: number }
  | ({ kind: "crontab" } & Crontab)
  | { kind: "solar"; event: SolarEvent; latitude: number; longitude: number }
  | { kind: "clocked"; at: Date };

export interface ScheduleParseError {
  kind: "error";
  /** What could not be parsed and why. */
  error: string;
  /** The input as text (shortened), for display. */
  input: string;
}

export function isScheduleParseError(r: ParsedSchedule | ScheduleParseError): r is ScheduleParseError {
  return r.kind === "error";
}

/** Never throws: anything unrecognised comes back as a ScheduleParseError. */
export function parseScheduleRepr(value: unknown): ParsedSchedule | ScheduleParseError {
  try {
    return parseValue(value);
  } catch (e) {
    // Defensive: the parsers below return errors rather than throw.
    return parseError(value, `could not parse schedule: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseValue(value: unknown): ParsedSchedule | ScheduleParseError {
  if (typeof value === "number") return intervalFromSeconds(value, value);
  if (typeof value !== "string") {
    const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    return parseError(value, `expected a number of seconds or a schedule string, got ${type}`);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return intervalFromSeconds(Number(text), value);

  const delta = parseTimedelta(text);
  if (delta !== null) return intervalFromSeconds(delta, value);

  const repr = /^<(\w+):\s*([\s\S]*?)\s*>$/.exec(text);
  if (!repr) return parseError(value, "not a number of seconds, a timedelta or a schedule repr");
  const [, tag, body] = repr as unknown as [string, string, string];
  switch (tag) {
    case "crontab":
      return parseCrontabBody(body, value);
    case "solar":
      return parseSolarBody(body, value);
    case "freq":
      return parseFreqBody(body, value);
    case "clocked":
      return parseClockedBody(body, value);
    default:
      return parseError(value, `unsupported schedule type "${tag}"`);
  }
}

function intervalFromSeconds(seconds: number, input: unknown): ParsedSchedule | ScheduleParseError {
  if (!Number.isFinite(seconds)) return parseError(input, "interval is not a finite number");
  if (seconds < 0) return parseError(input, "interval is negative");
  return { kind: "interval", seconds };
}

/** str(timedelta): "0:05:00", "1 day, 2:00:00", "3 days, 0:00:00.500000", "-1 day, 23:59:00". */
export function parseTimedelta(text: string): number | null {
  const m = /^(?:(-?\d+) days?, )?(\d{1,2}):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return null;
  const [, days = "0", h, min, s, frac = ""] = m as unknown as string[];
  return Number(days) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s) + (frac ? Number(`0.${frac}`) : 0);
}

// Celery <= 5.2 prints day_of_week third; Celery 5.3+ prints the Unix cron order. The legend says which.
const CRONTAB_ORDERS: Record<string, CrontabFieldName[]> = {
  "m/h/d/dM/MY": ["minute", "hour", "day_of_week", "day_of_month", "month_of_year"],
  "m/h/dM/MY/d": ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"],
};
const DEFAULT_CRONTAB_ORDER = "m/h/d/dM/MY";

/** "0 0 * * * (m/h/d/dM/MY)"; a field may be a Python set/list/tuple repr containing spaces. */
function parseCrontabBody(body: string, input: unknown): ParsedSchedule | ScheduleParseError {
  let rest = body;
  let legend = DEFAULT_CRONTAB_ORDER;
  const legendMatch = /\s*\(([A-Za-z/]+)\)$/.exec(rest);
  if (legendMatch) {
    legend = legendMatch[1]!;
    rest = rest.slice(0, legendMatch.index);
  }
  const order = CRONTAB_ORDERS[legend];
  if (!order) return parseError(input, `unknown crontab field order "(${legend})"`);

  const tokens = splitCrontabFields(rest);
  if (tokens === null) return parseError(input, "unbalanced brackets in crontab fields");
  if (tokens.length !== 5) return parseError(input, `expected 5 crontab fields, found ${tokens.length}`);
  const fields = {} as CrontabFields;
  for (const name of CRONTAB_FIELD_NAMES) fields[name] = tokens[order.indexOf(name)]!;
  const built = buildCrontab(fields);
  if (!built.ok) return parseError(input, `bad crontab: ${built.error}`);
  return { kind: "crontab", ...built.value };
}

/** Split on whitespace outside brackets; glue "0," + "30" back together (Celery allows "0, 30"). */
function splitCrontabFields(text: string): string[] | null {
  const tokens: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of text) {
    if ("{[(".includes(ch)) depth += 1;
    if ("}])".includes(ch)) depth -= 1;
    if (depth < 0) return null;
    if (/\s/.test(ch) && depth === 0) {
      if (current) tokens.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (depth !== 0) return null;
  if (current) tokens.push(current);
  const merged: string[] = [];
  for (const token of tokens) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.endsWith(",") || token.startsWith(","))) {
      merged[merged.length - 1] = `${last}${token}`;
    } else {
      merged.push(token);
    }
  }
  return merged;
}

const NUMBER = "(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)";

/** "sunrise at latitude 40.7, longitude: -74.0" */
function parseSolarBody(body: string, input: unknown): ParsedSchedule | ScheduleParseError {
  const m = new RegExp(`^(\\w+) at latitude ${NUMBER}, longitude: ${NUMBER}$`).exec(body);
  if (!m) return parseError(input, 'solar schedule is not "<event> at latitude <lat>, longitude: <lon>"');
  const [, event, lat, lon] = m as unknown as [string, string, string, string];
  if (!isSolarEvent(event)) return parseError(input, `unknown solar event "${event}"`);
  const latitude = Number(lat);
  const longitude = Number(lon);
  if (Math.abs(latitude) > 90) return parseError(input, `latitude ${lat} is outside -90..90`);
  if (Math.abs(longitude) > 180) return parseError(input, `longitude ${lon} is outside -180..180`);
  return { kind: "solar", event, latitude, longitude };
}

const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/**
 * Celery's `schedule` repr: humanize_seconds with two decimals ("30.00 seconds", "1.50 hours"),
 * or "now" under one second. "1.67 hours" has lost precision, so take the roundest duration
 * (whole hours, quarter hours, 5 minutes, minutes, seconds) the printed value could have come from:
 * 1.67 hours -> 100 minutes.
 */
function parseFreqBody(body: string, input: unknown): ParsedSchedule | ScheduleParseError {
  if (body === "now") return { kind: "interval", seconds: 0 };
  const m = /^(\d+(?:\.\d+)?) (second|minute|hour|day)s?$/.exec(body);
  if (!m) return parseError(input, 'freq schedule is not "<number> seconds|minutes|hours|days"');
  const unit = UNIT_SECONDS[m[2]!]!;
  const printed = Number(m[1]) * unit;
  const tolerance = 0.005 * unit + 1e-9;
  for (const grain of [86400, 3600, 900, 300, 60, 1]) {
    const snapped = Math.round(printed / grain) * grain;
    if (snapped > 0 && Math.abs(snapped - printed) <= tolerance) return { kind: "interval", seconds: snapped };
  }
  return { kind: "interval", seconds: Math.round(printed * 1000) / 1000 };
}

/**
 * django-celery-beat's clocked: str(datetime), "2026-12-01 10:00:00+00:00" (older versions append
 * " True"/" False", the enabled flag). A time without an offset is taken as UTC.
 */
function parseClockedBody(body: string, input: unknown): ParsedSchedule | ScheduleParseError {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?\s*(Z|[+-]\d\d:?\d\d)?(?:\s+(?:True|False))?$/.exec(body);
  if (!m) return parseError(input, "clocked schedule is not a date and time");
  const [, y, mo, d, h, mi, s = "0", frac = "", offset = "Z"] = m as unknown as string[];
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(wall);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return parseError(input, "clocked schedule has an impossible date or time");
  }
  let offsetMinutes = 0;
  if (offset !== "Z") {
    const digits = offset!.replace(":", "");
    const sign = digits.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  return { kind: "clocked", at: new Date(wall + ms - offsetMinutes * 60_000) };
}

function parseError(input: unknown, error: string): ScheduleParseError {
  return { kind: "error", error, input: shorten(reprOf(input)) };
}

/** The input as text: strings as they are, everything else as JSON where possible. */
export function reprOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // circular or BigInt: fall through
  }
  return String(value);
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
