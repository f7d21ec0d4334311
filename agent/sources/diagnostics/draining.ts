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

/**
 * The samples of the depth's current rise, from its last low (the last sample at the lowest depth
 * held) to now, when they span `minSpanMs`, grew, and end above every sample of the rise's first half;
 * else null. A queue watched empty for minutes before it filled rises from its last empty sample:
 * measured from the first sample held, its rates would be diluted by the quiet minutes.
 */
export function currentRise(d: readonly Sample[], minSpanMs: number): readonly Sample[] | null {
  let low = 0;
  for (let i = 1; i < d.length; i++) if (d[i]!.value <= d[low]!.value) low = i;
  const rise = d.slice(low);
  if (rise.length < TREND_MIN_SAMPLES || rise[rise.length - 1]!.at - rise[0]!.at < minSpanMs) return null;
  const last = rise[rise.length - 1]!.value;
  const firstHalfMax = Math.max(...rise.slice(0, Math.ceil(rise.length / 2)).map((s) => s.value));
  return last - rise[0]!.value >= TREND_MIN_GROWTH && last > firstHalfMax ? rise : null;
}

export function drainingFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const q of snap.queues) {
    const rise = currentRise(q.depths, snap.thresholds.trendWindowMs);
    if (!rise) continue;
    const { consumers, complete } = consumersOfQueue(snap, q.name);
    if (complete && !consumers.length) continue;
    const first = rise[0]!;
    const last = rise[rise.length - 1]!;
    const spanMs = last.at - first.at;
    const growth = last.value - first.value;
    const outCount = q.receivedInRise;
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
        { what: "depth samples", value: rise.length, source: "broker" },
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
