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

/** A full local date and time for tooltips and detail views: "2026-11-24 22:08:01". */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return NONE;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
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

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
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
