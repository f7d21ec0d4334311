/** How numbers, times and values read in the panel and popup. Pure. */
import type { Hidden, Value } from "../../agent/api/schema";

export const NONE = "—";

/** A duration in seconds, with the precision people want at that size: "4.2 ms", "1.23 s", "3 min 5 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return NONE;
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 0.001) return seconds === 0 ? "0 s" : "<1 ms";
  if (seconds < 1) return `${trim(seconds * 1000, seconds < 0.01 ? 1 : 0)} ms`;
  if (seconds < 60) return `${trim(seconds, seconds < 10 ? 2 : 1)} s`;
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3600],
    ["min", 60],
    ["s", 1],
  ];
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${name}`);
    // Two units are enough: "2 h 5 min", not "2 h 5 min 7 s".
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith("0 ")).join(" ");
}

function trim(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

/** A moment relative to now: "just now", "12 s ago", "in 3 min", "2 d ago". */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return NONE;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const delta = (at - now) / 1000;
  const size = Math.abs(delta);
  if (size < 5) return "just now";
  let amount: string;
  if (size < 60) amount = `${Math.round(size)} s`;
  else if (size < 3600) amount = `${Math.round(size / 60)} min`;
  else if (size < 86_400 * 2) amount = `${Math.round(size / 3600)} h`;
  else amount = `${Math.round(size / 86_400)} d`;
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function parseMoment(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The browser's zone at that moment as an offset from UTC: "UTC", "UTC+1", "UTC+5:30", "UTC-3". */
export function formatZone(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  if (minutes === 0) return "UTC";
  const size = Math.abs(minutes);
  return `UTC${minutes > 0 ? "+" : "-"}${Math.floor(size / 60)}${size % 60 ? `:${pad(size % 60)}` : ""}`;
}

function timeOfDay(date: Date, ms: boolean): string {
  const seconds = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return ms ? `${seconds}.${pad(date.getMilliseconds(), 3)}` : seconds;
}

function localDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * A local date and time with its zone, for detail views: "2026-11-24 22:08:01 UTC+1" (the agent
 * and the browser may be zones apart). `ms` adds milliseconds: "22:08:01.482".
 */
export function formatTimestamp(iso: string | null | undefined, { ms = false }: { ms?: boolean } = {}): string {
  const date = parseMoment(iso);
  if (!date) return iso || NONE;
  return `${localDate(date)} ${timeOfDay(date, ms)} ${formatZone(date)}`;
}

/** The full ISO 8601 moment in the browser's zone, for tooltips: "2026-11-24T22:08:01.482+01:00". */
export function formatIso(iso: string | null | undefined): string {
  const date = parseMoment(iso);
  if (!date) return iso || NONE;
  const minutes = -date.getTimezoneOffset();
  const size = Math.abs(minutes);
  const offset = minutes === 0 ? "Z" : `${minutes > 0 ? "+" : "-"}${pad(Math.floor(size / 60))}:${pad(size % 60)}`;
  return `${localDate(date)}T${timeOfDay(date, true)}${offset}`;
}

/** From one moment to the next: "+12 ms", "+1.25 s", "+3 min 5 s", "-4 ms" when it comes earlier (clocks differ). */
export function formatGap(fromIso: string | null | undefined, toIso: string | null | undefined): string {
  const from = parseMoment(fromIso);
  const to = parseMoment(toIso);
  if (!from || !to) return NONE;
  const ms = to.getTime() - from.getTime();
  if (ms === 0) return "+0 ms";
  return ms > 0 ? `+${formatDuration(ms / 1000)}` : `-${formatDuration(-ms / 1000)}`;
}

export interface TimelineTimes {
  /** Time of day to the millisecond and the zone; the date too on the first entry and when the day changes. */
  at: string;
  /** The full ISO moment (tooltip). */
  title: string;
  /** Since the previous entry ("+12 ms"); empty on the first. */
  gap: string;
}

/** The time cells of a timeline (entries oldest first), so order and gaps can be read. */
export function timelineTimes(entries: readonly { at: string }[]): TimelineTimes[] {
  return entries.map((entry, i) => {
    const date = parseMoment(entry.at);
    const previous = i > 0 ? parseMoment(entries[i - 1]!.at) : null;
    if (!date) return { at: entry.at, title: entry.at, gap: "" };
    const day = !previous || localDate(previous) !== localDate(date) ? `${localDate(date)} ` : "";
    return { at: `${day}${timeOfDay(date, true)} ${formatZone(date)}`, title: formatIso(entry.at), gap: i > 0 ? formatGap(entries[i - 1]!.at, entry.at) : "" };
  });
}

/** A task argument, result or setting, readable: JSON pretty-printed, a Python repr as sent. */
export function formatValue(value: Value | null | undefined): string {
  if (!value) return NONE;
  switch (value.format) {
    case "json":
      return formatJson(value.value);
    case "repr":
      return value.value;
    case "hidden":
      return `(hidden: ${value.reason})`;
  }
}

/** A value the agent withheld from this caller (a limited token, or --redact): `{format: "hidden", reason}`. */
export function isHidden(value: unknown): value is Hidden {
  return typeof value === "object" && value !== null && (value as { format?: unknown }).format === "hidden";
}

/** Task text that may be withheld (args preview, exception, traceback...): the text, or "(hidden)". */
export function formatPayload(value: string | Hidden | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  return isHidden(value) ? "(hidden)" : value;
}

export function formatJson(value: unknown): string {
  if (value === undefined) return NONE;
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : n.toLocaleString("en-US");
}

export function formatKilobytes(kb: number | null | undefined): string {
  if (kb === null || kb === undefined) return NONE;
  if (kb < 1024) return `${kb} KB`;
  if (kb < 1024 * 1024) return `${trim(kb / 1024, 1)} MB`;
  return `${trim(kb / 1024 / 1024, 2)} GB`;
}

export function formatLoad(loadavg: readonly number[] | null | undefined): string {
  return loadavg?.length ? loadavg.map((n) => n.toFixed(2)).join(" ") : NONE;
}

/** The first block of a UUID: enough to tell tasks apart in a table. */
export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/** A count and its noun: "1 worker", "2 workers", "0 workers" (`many` for irregular plurals). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${pluralWord(count, one, many)}`;
}

/** The noun alone, for a label beside a separately shown number: "worker offline" / "workers offline". */
export function pluralWord(count: number | null | undefined, one: string, many = `${one}s`): string {
  return count === 1 ? one : many;
}

/**
 * What last-known data says of its age: "as of 16:02:11, 40 s ago" (the date too when it is not
 * today's). Never "just now": it is said only of data that is not current.
 */
export function formatAsOf(at: number, now: number = Date.now()): string {
  const full = formatTimestamp(new Date(at).toISOString());
  const today = formatTimestamp(new Date(now).toISOString()).slice(0, 10) === full.slice(0, 10);
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  const age = seconds < 60 ? `${seconds} s` : formatRelative(new Date(at).toISOString(), now).replace(/ ago$/, "");
  return `as of ${today ? full.slice(11) : full}, ${age} ago`;
}
