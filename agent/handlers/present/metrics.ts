/** The metrics' figures (sources/metrics/, minutes since the epoch) in the contract's shapes. */
import type { FailureGroup, TaskNameMetrics } from "../../api/schema";
import type { FailureGroup as HeldGroup } from "../../sources/metrics/failure-groups";
import type { FiguresRead, Span } from "../../sources/metrics/read";
import type { Hidden } from "../access";

export const isoMinute = (minute: number) => new Date(minute * 60_000).toISOString();

/** The window ending with the step under way now: minutes [from, to). */
export function spanOf(windowSeconds: number, stepSeconds: number, now = Date.now()): Span {
  const step = stepSeconds / 60;
  const to = (Math.floor(now / 60_000 / step) + 1) * step;
  return { from: to - windowSeconds / 60, to, step };
}

export function windowFields(span: Span, windowSeconds: number) {
  return { from: isoMinute(span.from), to: isoMinute(span.to), window_seconds: windowSeconds, step_seconds: span.step * 60 };
}

export function nameMetrics(name: string, f: FiguresRead): TaskNameMetrics {
  const ended = f.counts.succeeded + f.counts.failed;
  return { name, counts: f.counts, failure_rate: ended ? f.counts.failed / ended : null, runtime: f.runtime, wait: f.wait };
}

/** How many tasks a name's figures stand for (names are listed most first). */
export const activity = (f: FiguresRead) =>
  Math.max(f.counts.sent, f.counts.received, f.counts.started, f.counts.succeeded + f.counts.failed + f.counts.revoked + f.counts.lost, f.runtime.count);

export function failureGroup(g: HeldGroup, count: number, hidden: Hidden | null): FailureGroup {
  return {
    id: g.id,
    exception_type: g.type,
    message: hidden ?? g.pattern,
    count,
    first_seen: new Date(g.firstSeen).toISOString(),
    last_seen: new Date(g.lastSeen).toISOString(),
    task_names: [...g.names].sort((a, b) => b[1] - a[1]).map(([n]) => n),
    sample_task_id: g.sampleTaskId,
    sample_message: hidden ?? g.sampleMessage,
  };
}
