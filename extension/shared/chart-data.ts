/**
 * The metrics responses shaped for charts and tables, and how their figures read. Pure: the views
 * and the chart components take what these return; the unit tests check them on constructed data.
 */
import type { FailureGroup, HistogramBin, MetricCount, MetricCounts, Percentiles, TaskNameMetrics } from "../../agent/api/schema";
import { formatCount, formatDuration, isHidden, NONE } from "./format";

/** One column of a chart: uPlot's data is the x column (unix seconds) then one column per series. */
export type Column = (number | null)[];

/** Unix seconds of each point's ISO time, the x axis of every time chart. */
export function timesOf(points: readonly { at: string }[]): number[] {
  return points.map((p) => Date.parse(p.at) / 1000);
}

/** The least time a step under way is taken to have run: one task in its first second is not a burst of 60/min. */
const MIN_ELAPSED_SECONDS = 10;

/**
 * How much of a point's step had passed at `nowMs`: 1 for a step that is over; for the step under
 * way (the last of a series), the time since it began. The agent counts that step's figures so far
 * over the whole step, so without this the last point of every chart would dip.
 */
export function elapsedShare(at: string, stepSeconds: number, nowMs: number): number {
  const elapsed = (nowMs - Date.parse(at)) / 1000;
  return Math.min(1, Math.max(MIN_ELAPSED_SECONDS, elapsed) / stepSeconds);
}

/** A count per step as a rate per minute (a step of 5 minutes holding 10 tasks: 2/min), `share` of the step having passed. */
export function perMinute(count: number | null, stepSeconds: number, share = 1): number | null {
  return count === null ? null : count / ((stepSeconds * share) / 60);
}

/** Counts of `key` across the points of a series, per minute (the step under way: per minute so far). */
export function countColumn(points: readonly { at: string; counts: MetricCounts }[], key: MetricCount, stepSeconds: number, nowMs = Date.now()): Column {
  return points.map((p) => perMinute(p.counts[key], stepSeconds, elapsedShare(p.at, stepSeconds, nowMs)));
}

/** Figures the agent gives over a whole step (rates, busy share), the step under way's over the time so far. */
export function soFar(points: readonly { at: string }[], values: Column, stepSeconds: number, nowMs = Date.now()): Column {
  return values.map((v, i) => (v === null ? null : v / elapsedShare(points[i]!.at, stepSeconds, nowMs)));
}

/** Whether any point of the columns has a value other than null or 0: a chart of nothing says so instead. */
export function hasData(columns: readonly Column[]): boolean {
  return columns.some((column) => column.some((v) => v !== null && v !== 0));
}

/** Seconds one percentile of each point, null where nothing was measured. */
export function percentileColumn<P extends { runtime: Percentiles; wait: Percentiles }>(
  points: readonly P[],
  figure: "runtime" | "wait",
  which: "p50" | "p95" | "p99",
): Column {
  return points.map((p) => p[figure][which]);
}

/** A rate per minute: "12/min", "0.5/min", "—". */
export function formatRate(perMin: number | null | undefined): string {
  if (perMin === null || perMin === undefined || !Number.isFinite(perMin)) return NONE;
  const digits = perMin >= 10 || Number.isInteger(perMin) ? 0 : perMin >= 1 ? 1 : 2;
  return `${Number(perMin.toFixed(digits)).toLocaleString("en-US")}/min`;
}

/** A share 0..1 as a percentage: "42 %", "2.5 %" (a tenth under 10 %, so an axis at 2.5 % does not read 3 %). */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return NONE;
  const percent = share * 100;
  if (percent > 0 && percent < 0.1) return "<0.1 %";
  return `${percent < 10 ? Number(percent.toFixed(1)) : Math.round(percent)} %`;
}

/** Bytes as people read memory: "512 KB", "45.3 MB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return NONE;
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}

/** A histogram bin's range: "0.5–0.52 s", "120–130 ms". */
export function formatBin(bin: Pick<HistogramBin, "lower" | "upper">): string {
  const [lower, upper] = [formatDuration(bin.lower), formatDuration(bin.upper)];
  const unit = (text: string) => text.replace(/^[\d.<]+\s*/, "");
  // One unit for both ends when they share it ("120–130 ms" rather than "120 ms–130 ms").
  if (unit(lower) === unit(upper) && /^[\d.]+ (ms|s)$/.test(lower)) return `${lower.replace(/ .*$/, "")}–${upper}`;
  return `${lower}–${upper}`;
}

/** The per-name table's sortable columns, each read from a name's figures (null sorts last). */
export const NAME_SORT_KEYS = ["name", "count", "failure_rate", "runtime_p50", "runtime_p95", "wait_p95"] as const;
export type NameSortKey = (typeof NAME_SORT_KEYS)[number];

/** Tasks of a name that ran to an end or failed to start in the window: what "count" means in the table. */
export function finishedCount(counts: MetricCounts): number {
  return counts.succeeded + counts.failed + counts.revoked + counts.lost;
}

function sortValue(row: TaskNameMetrics, key: NameSortKey): string | number | null {
  switch (key) {
    case "name":
      return row.name;
    case "count":
      return finishedCount(row.counts);
    case "failure_rate":
      return row.failure_rate;
    case "runtime_p50":
      return row.runtime.p50;
    case "runtime_p95":
      return row.runtime.p95;
    case "wait_p95":
      return row.wait.p95;
  }
}

/** The names sorted by a column; unknown figures (null) last whichever the order, ties by name. */
export function sortNames(rows: readonly TaskNameMetrics[], key: NameSortKey, order: "asc" | "desc"): TaskNameMetrics[] {
  const sign = order === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [x, y] = [sortValue(a, key), sortValue(b, key)];
    if (x === null || y === null) return x === y ? a.name.localeCompare(b.name) : x === null ? 1 : -1;
    const cmp = typeof x === "string" ? x.localeCompare(String(y)) : x - (y as number);
    return cmp === 0 ? a.name.localeCompare(b.name) : sign * cmp;
  });
}

const PLACEHOLDER = /<(num|hex|uuid|str|path)>/g;

/**
 * The text to search the task list with for a failure group (`q`: a substring of id, name, args,
 * result or exception): the longest literal part of its normalised message, which the failed
 * tasks' exception text holds as it is, else the exception type (a limited token sees no message).
 */
export function failureSearchText(group: Pick<FailureGroup, "exception_type" | "message">): string {
  if (isHidden(group.message)) return group.exception_type;
  const parts = group.message
    .split(PLACEHOLDER)
    .filter((_, i) => i % 2 === 0)
    .map((part) => part.trim().replace(/^['"(:,\s]+|['"),:\s]+$/g, ""));
  const longest = parts.reduce((best, part) => (part.length > best.length ? part : best), "");
  return longest.length >= 4 ? longest : group.exception_type;
}

/** The task-list filters showing a failure group's tasks: failed, of its one name if it has one, matching its text. */
export function failureFilters(group: Pick<FailureGroup, "exception_type" | "message" | "task_names">, name?: string) {
  const only = name ?? (group.task_names.length === 1 ? group.task_names[0] : undefined);
  return { state: "FAILURE", q: failureSearchText(group), ...(only ? { name: only } : {}) };
}

/** Histogram bins as chart columns: the bin's index on x (bins are log-wide, so evenly spaced reads best), counts on y. */
export function histogramColumns(bins: readonly HistogramBin[]): { x: number[]; counts: number[]; labels: string[]; ticks: string[] } {
  return { x: bins.map((_, i) => i), counts: bins.map((b) => b.count), labels: bins.map(formatBin), ticks: bins.map((b) => formatDuration(b.lower)) };
}

/** "12 tasks", or a dash for nothing: a chart's hover value for counts. */
export function formatTasks(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : `${formatCount(n)} ${n === 1 ? "task" : "tasks"}`;
}

/** Indexes of values with no value either side: a line cannot draw them, so the chart marks them with a dot. */
export function isolatedIndexes(values: ArrayLike<number | null | undefined>): number[] {
  const out: number[] = [];
  const empty = (i: number) => i < 0 || i >= values.length || values[i] === null || values[i] === undefined;
  for (let i = 0; i < values.length; i++) if (!empty(i) && empty(i - 1) && empty(i + 1)) out.push(i);
  return out;
}

/** The last point where any series has a value (else the last point): what a legend shows when not hovered. */
export function latestIndex(columns: readonly ArrayLike<number | null | undefined>[], length: number): number | null {
  for (let i = length - 1; i >= 0; i--) if (columns.some((c) => c[i] !== null && c[i] !== undefined)) return i;
  return length ? length - 1 : null;
}

/** A chart's time in local time, 24-hour like the rest of the panel: "09:05". */
export function formatClock(unixSeconds: number): string {
  const at = new Date(unixSeconds * 1000);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}
