/**
 * A queue not draining over time: its depth rising across the samples of the last minutes, with
 * the rate messages come in and go out (tasks workers received from it) and when it would empty.
 * A queue nobody consumes is `queue_no_consumer`'s (queues.ts), not this rule's.
 */
import type { Finding } from "./finding";
import { duration } from "./finding";
import { consumersOfQueue, type DiagnosticSnapshot, type Sample } from "./snapshot";

/** A trend takes at least this many samples, spanning the snapshot's trendWindowMs. */
const TREND_MIN_SAMPLES = 3;
/** ...and grow by at least this many messages. */
const TREND_MIN_GROWTH = 10;

/** Per minute, to one decimal. */
const perMin = (count: number, ms: number) => Math.round((count / ms) * 600_000) / 10;

/** Whether the depth rose across samples spanning `minSpanMs`: up overall, and the latest above every earlier half's. */
export function risingDepth(d: readonly Sample[], minSpanMs: number): boolean {
  if (d.length < TREND_MIN_SAMPLES || d[d.length - 1]!.at - d[0]!.at < minSpanMs) return false;
  const last = d[d.length - 1]!.value;
  const firstHalfMax = Math.max(...d.slice(0, Math.ceil(d.length / 2)).map((s) => s.value));
  return last - d[0]!.value >= TREND_MIN_GROWTH && last > firstHalfMax;
}

export function drainingFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const q of snap.queues) {
    if (!risingDepth(q.depths, snap.thresholds.trendWindowMs)) continue;
    const { consumers, complete } = consumersOfQueue(snap, q.name);
    if (complete && !consumers.length) continue;
    const first = q.depths[0]!;
    const last = q.depths[q.depths.length - 1]!;
    const spanMs = last.at - first.at;
    const growth = last.value - first.value;
    const outCount = q.receivedSinceFirst;
    const rateOut = outCount === null ? null : perMin(outCount, spanMs);
    const rateIn = outCount === null ? null : perMin(growth + outCount, spanMs);
    const emptyMs = outCount ? (last.value / outCount) * spanMs : null;
    const rates = rateOut === null ? "" : ` (about ${rateIn} a minute in, ${rateOut} out)`;
    out.push({
      kind: "queue_not_draining",
      severity: "warning",
      subject: { type: "queue", id: q.name },
      sentence: `Queue ${q.name} grew from ${first.value} to ${last.value} messages in ${duration(spanMs)}${rates}: at this rate it never empties${emptyMs === null ? "" : `; were nothing more sent, its consumers would take ${duration(emptyMs)}`}.`,
      evidence: [
        { what: "messages then", value: first.value, at: first.at, source: "broker" },
        { what: "messages now", value: last.value, at: last.at, source: "broker" },
        { what: "depth samples", value: q.depths.length, source: "broker" },
        ...(rateOut === null
          ? []
          : [
              { what: "messages in per minute", value: rateIn, source: "broker" as const },
              { what: "tasks received per minute", value: rateOut, source: "events" as const },
            ]),
        { what: "consumers online", value: consumers.length, source: "inspect" },
      ],
      action: "Add workers or concurrency on this queue, look for tasks that got slower, or send less (rate limits, batching).",
    });
  }
  return out;
}
