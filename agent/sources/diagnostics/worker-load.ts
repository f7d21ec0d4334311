/**
 * Workers holding more than they can run: prefetch hoarding (reserved far above the pool size while
 * tasks wait in a queue it consumes, or while another worker on its queues sits idle), and memory (max RSS)
 * growing across `stats` samples, the mark of a leak that ends in the OOM killer.
 */
import type { Finding } from "./finding";
import { duration, listed } from "./finding";
import { queueOf, type DiagnosticSnapshot, type Sample, type WorkerFacts } from "./snapshot";

/** Hoarding: reserved beyond this many times the concurrency (and at least HOARD_MIN more tasks). */
export const HOARD_FACTOR = 2;
const HOARD_MIN = 4;
/** Memory: growth across samples spanning at least this long, by at least this share and this much. */
export const RSS_MIN_SPAN_MS = 60_000;
const RSS_MIN_GROWTH = 0.2;
const RSS_MIN_GROWTH_KB = 50 * 1024;
const RSS_MIN_SAMPLES = 3;

export function workerLoadFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const w of snap.workers) {
    if (w.status !== "online") continue;
    const hoard = hoarding(snap, w);
    if (hoard) out.push(hoard);
    const rss = rssGrowth(w);
    if (rss) out.push(rss);
  }
  return out;
}

function hoarding(snap: DiagnosticSnapshot, w: WorkerFacts): Finding | null {
  if (w.reserved === null || w.concurrency === null) return null;
  if (w.reserved <= Math.max(HOARD_FACTOR * w.concurrency, w.concurrency + HOARD_MIN)) return null;
  const waiting = (w.queues ?? []).filter((q) => (queueOf(snap, q)?.messages ?? 0) > 0);
  // Once idle workers on its queues have drained them, nothing waits in the queue, yet what it holds
  // still waits for its pool: the harm prefetching does.
  const idle = idlePeers(snap, w);
  if (!waiting.length && !idle.length) return null;
  const where = [
    ...(waiting.length ? [`tasks wait in ${listed(waiting)}`] : []),
    ...(idle.length ? [`${listed(idle)}, which consume${idle.length === 1 ? "s" : ""} its queues, ${idle.length === 1 ? "is" : "are"} idle`] : []),
  ].join(" and ");
  return {
    kind: "worker_prefetch_hoarding",
    severity: "warning",
    subject: { type: "worker", id: w.name },
    sentence: `${w.name} holds ${w.reserved} prefetched tasks for a pool of ${w.concurrency} while ${where}: those it holds wait for its pool, whoever could run them.`,
    evidence: [
      { what: "reserved tasks", value: w.reserved, at: snap.now, source: "inspect" },
      { what: "concurrency", value: w.concurrency, source: "inspect" },
      ...waiting.map((q) => ({ what: `messages waiting in ${q}`, value: queueOf(snap, q)?.messages ?? null, at: snap.now, source: "broker" as const })),
      ...(idle.length ? [{ what: "idle workers on its queues", value: idle.join(", "), at: snap.now, source: "inspect" as const }] : []),
      ...(w.conf && typeof w.conf.worker_prefetch_multiplier === "number"
        ? [{ what: "worker_prefetch_multiplier", value: w.conf.worker_prefetch_multiplier, source: "configuration" as const }]
        : []),
    ],
    action: "Lower worker_prefetch_multiplier (1 for long tasks), start the worker with -O fair, or use task_acks_late so a worker reserves only what it runs.",
  };
}

/** Online workers, other than `w`, consuming one of its queues, running nothing and holding nothing. */
function idlePeers(snap: DiagnosticSnapshot, w: WorkerFacts): string[] {
  const mine = new Set(w.queues ?? []);
  return snap.workers
    .filter((p) => p !== w && p.status === "online" && p.queues?.some((q) => mine.has(q)) && !p.running.length && p.reserved === 0)
    .map((p) => p.name);
}

function rssGrowth(w: WorkerFacts): Finding | null {
  // Max RSS never falls; growing in every interval, not in one jump at start-up, is what a leak does.
  // Judged on the latest run of rising samples: a worker flat for minutes before its leak began is
  // leaking now, and one whose growth stopped is not.
  const s = risingTail(w.maxRss);
  if (s.length < RSS_MIN_SAMPLES) return null;
  const first = s[0]!;
  const last = s[s.length - 1]!;
  const spanMs = last.at - first.at;
  const growth = last.value - first.value;
  if (spanMs < RSS_MIN_SPAN_MS || growth < RSS_MIN_GROWTH_KB || growth < first.value * RSS_MIN_GROWTH) return null;
  const mb = (kb: number) => Math.round(kb / 1024);
  return {
    kind: "worker_memory_growing",
    severity: "warning",
    subject: { type: "worker", id: w.name },
    sentence: `${w.name}'s memory (max RSS) grew from ${mb(first.value)} MB to ${mb(last.value)} MB in ${duration(spanMs)}, at every sample: a leak ends with the OOM killer taking its tasks.`,
    evidence: [
      { what: "max RSS then (kB)", value: first.value, at: first.at, source: "inspect" },
      { what: "max RSS now (kB)", value: last.value, at: last.at, source: "inspect" },
      { what: "stats samples", value: s.length, source: "inspect" },
      ...(w.conf
        ? [{ what: "worker_max_memory_per_child (kB)", value: (w.conf.worker_max_memory_per_child as number | null) ?? null, source: "configuration" as const }]
        : []),
    ],
    action:
      "Set worker_max_memory_per_child (or worker_max_tasks_per_child) so pool processes are replaced before they grow too big, and look for the task that leaks.",
  };
}

/** The samples from the last one not above its predecessor on: the current streak of growth. */
function risingTail(samples: readonly Sample[]): Sample[] {
  let from = samples.length - 1;
  while (from > 0 && samples[from]!.value > samples[from - 1]!.value) from--;
  return samples.slice(from);
}
