/**
 * A task's timeline: the steps its sources reported, in time order, each with the run (attempt) it
 * belongs to, at most MAX_TIMELINE of them (the first one kept).
 */
import type { TaskRecord, TimelineItem } from "./record";

const MAX_TIMELINE = 64;

const RETRY_ITEM: Record<TimelineItem["source"], string> = { event: "task-retried", result_backend: "backend-retry", agent: "" };

/**
 * The run a new timeline step belongs to. A message's own `retries` says it (task-received,
 * task-sent, result_extended writes); otherwise each source reports its retries in order, so a step
 * follows the retries its source has reported. Events also follow the newest run received: the
 * retried message is often received (it waits for its countdown) before the worker reports the retry.
 */
export function attemptOf(t: TaskRecord, source: TimelineItem["source"], type: string, retries: number | null): number | undefined {
  if (retries !== null) return retries + 1;
  let retried = 0;
  let newest = 0;
  for (const x of t.timeline) {
    if (x.type === RETRY_ITEM[source]) retried++;
    if (x.source === source && x.attempt !== undefined && x.attempt > newest) newest = x.attempt;
  }
  // A task known from one backend write alone: which run wrote it is not known.
  if (source === "result_backend" && !t.timeline.length) return undefined;
  if (type === RETRY_ITEM[source]) return retried + 1;
  return source === "event" ? Math.max(retried + 1, newest) : retried + 1;
}

export function pushTimeline(t: TaskRecord, item: TimelineItem): void {
  const tl = t.timeline;
  // The same transition seen from both sources (event and backend) is kept once per source.
  for (const x of tl) if (x.type === item.type && x.source === item.source && Math.abs(x.at - item.at) < 1) return;
  // Kept in time order, later arrivals after earlier ones at the same time (items mostly come in order).
  let i = tl.length;
  while (i > 0 && tl[i - 1]!.at > item.at) i--;
  if (i === tl.length) tl.push(item);
  else tl.splice(i, 0, item);
  if (tl.length > MAX_TIMELINE) tl.splice(1, tl.length - MAX_TIMELINE);
}
