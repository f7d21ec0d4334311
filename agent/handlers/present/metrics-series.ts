/** Queues' and workers' figures per step, in the contract's shapes (see present/metrics.ts for tasks). */
import type { QueueMetrics, QueueSample as QueueSampleView, WorkerMetrics } from "../../api/schema";
import { COUNT_INDEX } from "../../sources/metrics/key-figures";
import type { MinuteColumns } from "../../sources/metrics/minute-columns";
import type { Span } from "../../sources/metrics/read";
import { QUEUE_COLS, type QueueSample, unstored, WORKER_COLS } from "../../sources/metrics/samples";
import type { MetricsStore } from "../../sources/metrics/store";
import { isoMinute } from "./metrics";

/** Each step's minutes [start, end). */
function* steps(span: Span): Generator<{ i: number; start: number; end: number }> {
  for (let i = 0, start = span.from; start < span.to; i++, start += span.step) yield { i, start, end: start + span.step };
}

/** The last sample taken in minutes [start, end) of a column stored plus one, or null. */
function lastIn(cols: MinuteColumns | undefined, col: number, start: number, end: number): number | null {
  if (!cols) return null;
  for (let m = end - 1; m >= start; m--) {
    const v = unstored(cols.get(m, col));
    if (v !== null) return v;
  }
  return null;
}

function maxIn(cols: MinuteColumns | undefined, col: number, start: number, end: number): number | null {
  let best: number | null = null;
  for (let m = start; cols && m < end; m++) {
    const v = unstored(cols.get(m, col));
    if (v !== null && (best === null || v > best)) best = v;
  }
  return best;
}

function currentView(s: QueueSample | undefined): QueueSampleView | null {
  if (!s) return null;
  return {
    at: new Date(s.at).toISOString(),
    messages: s.messages,
    messages_by_priority: s.byPriority,
    unacked: s.unacked,
    consumers: s.consumers,
    oldest_age_seconds: s.oldestAge,
  };
}

export function queueMetrics(store: MetricsStore, span: Span): QueueMetrics[] {
  const names = [...new Set([...store.queueSamples.perMinute.keys(), ...store.queues.byKey.keys()])].sort();
  const seconds = span.step * 60;
  return names.map((name) => {
    const cols = store.queueSamples.perMinute.get(name);
    const counts = store.queues.byKey.get(name)?.counts;
    const sentSeen = (counts?.sum(span.from, span.to, COUNT_INDEX.sent) ?? 0) > 0;
    let before = lastIn(cols, QUEUE_COLS.messages, span.from - span.step, span.from);
    const series = [...steps(span)].map(({ start, end }) => {
      const messages = lastIn(cols, QUEUE_COLS.messages, start, end);
      const out = counts?.sum(start, end, COUNT_INDEX.received) ?? 0;
      const sent = counts?.sum(start, end, COUNT_INDEX.sent) ?? 0;
      const inByDepth = messages !== null && before !== null ? Math.max(0, out + messages - before) : null;
      if (messages !== null) before = messages;
      return {
        at: isoMinute(start),
        messages,
        messages_max: maxIn(cols, QUEUE_COLS.messagesMax, start, end),
        consumers: lastIn(cols, QUEUE_COLS.consumers, start, end),
        oldest_age_seconds: lastIn(cols, QUEUE_COLS.oldestAge, start, end),
        rate_in: sentSeen ? sent / seconds : inByDepth === null ? null : inByDepth / seconds,
        rate_out: out / seconds,
      };
    });
    return { name, current: currentView(store.queueSamples.current.get(name)), rate_in_basis: sentSeen ? "sent_events" : "depth_change", series };
  });
}

export function workerMetrics(store: MetricsStore, span: Span, known: string[], online: (worker: string) => boolean): WorkerMetrics[] {
  const names = [...new Set([...store.workers.byName.keys(), ...known])].sort();
  const stepMs = span.step * 60_000;
  return names.map((name) => {
    const w = store.workers.byName.get(name);
    const cols = w?.perMinute;
    const capacity = w?.concurrency ?? null;
    const share = (busyMs: number, ms: number) => (capacity ? Math.min(1, busyMs / (capacity * ms)) : null);
    const series = [...steps(span)].map(({ start, end }) => {
      const rssKb = maxIn(cols, WORKER_COLS.rssKb, start, end);
      return {
        at: isoMinute(start),
        tasks: cols?.sum(start, end, WORKER_COLS.tasks) ?? 0,
        busy_share: share(cols?.sum(start, end, WORKER_COLS.busyMs) ?? 0, stepMs),
        rss_bytes: rssKb === null ? null : rssKb * 1024,
      };
    });
    const busyMs = cols?.sum(span.from, span.to, WORKER_COLS.busyMs) ?? 0;
    return {
      name,
      online: online(name),
      concurrency: capacity,
      tasks: series.reduce((n, p) => n + p.tasks, 0),
      busy_share: share(busyMs, (span.to - span.from) * 60_000),
      series,
    };
  });
}
