/**
 * The figures of one task name (or one queue): counts per state per minute for 24 hours
 * (minute-columns.ts), runtime and queue-wait histograms in three tiers (histogram-ring.ts: per
 * minute for the last hour, per 10 minutes for 6 hours, per hour for 24 hours; each value goes into
 * all three), and cumulative totals since the agent started (for Prometheus' counters and
 * histograms). FigureSet holds them by key, at most `maxKeys` keys: the rest share one key.
 */
import { METRIC_COUNTS, type MetricCount } from "../../api/schema/enums";
import { HistogramRing } from "./histogram-ring";
import { BIN_COUNT, binOf, boundsOf, type DenseHistogram } from "./log-bins";
import { MinuteColumns } from "./minute-columns";

/** The histogram tiers: slots x minutes each. */
export const TIERS = [
  { slots: 60, width: 1 },
  { slots: 36, width: 10 },
  { slots: 24, width: 60 },
] as const;

/** The finest tier holding a whole window of `minutes`. */
export function tierFor(minutes: number): number {
  const i = TIERS.findIndex((t) => t.slots * t.width >= minutes);
  return i < 0 ? TIERS.length - 1 : i;
}

export const COUNT_INDEX = Object.fromEntries(METRIC_COUNTS.map((c, i) => [c, i])) as Record<MetricCount, number>;

/**
 * Prometheus' `le` bounds: usual latency buckets moved to the upper edge of their sketch bin, so
 * each cumulative count is exact (a value's bin is wholly under or over every bound).
 */
export const PROMETHEUS_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600].map((s) => boundsOf(binOf(s)).upper);
/** For each sketch bin, the first Prometheus bucket it counts in (PROMETHEUS_BOUNDS.length: only +Inf). */
const BUCKET_OF_BIN = new Uint8Array(BIN_COUNT).map((_, bin) => {
  const i = PROMETHEUS_BOUNDS.findIndex((le) => boundsOf(bin).upper <= le);
  return i < 0 ? PROMETHEUS_BOUNDS.length : i;
});

/** A histogram since the agent started: counts per Prometheus bucket (not cumulative), then +Inf, count and sum. */
export class CumulativeHistogram {
  readonly buckets = new Float64Array(PROMETHEUS_BOUNDS.length + 1);
  count = 0;
  sum = 0;

  add(bin: number, seconds: number): void {
    this.buckets[BUCKET_OF_BIN[bin]!]!++;
    this.count++;
    this.sum += seconds;
  }
}

/** A duration histogram over time: the three tiers and the total since start. */
export class TieredHistogram {
  readonly tiers = TIERS.map((t) => new HistogramRing(t.slots, t.width));
  readonly total = new CumulativeHistogram();

  add(minute: number, seconds: number, fromSent = false): void {
    const bin = binOf(seconds);
    for (const r of this.tiers) r.add(minute, bin, fromSent);
    this.total.add(bin, seconds);
  }

  /** Merges minutes [from, to) of `tier` into `into`; returns how many were measured from a sent time. */
  mergeInto(into: DenseHistogram, tier: number, from: number, to: number): number {
    return this.tiers[tier]!.mergeInto(into, from, to);
  }

  get bytes(): number {
    return this.tiers.reduce((n, r) => n + r.bytes, 0) + this.total.buckets.byteLength;
  }
}

export class KeyFigures {
  readonly counts = new MinuteColumns(METRIC_COUNTS.map(() => false));
  readonly totals = new Float64Array(METRIC_COUNTS.length);
  readonly runtime = new TieredHistogram();
  readonly wait = new TieredHistogram();

  count(minute: number, what: MetricCount): void {
    const i = COUNT_INDEX[what];
    this.counts.add(minute, i, 1);
    this.totals[i]!++;
  }

  get bytes(): number {
    return this.counts.bytes + this.totals.byteLength + this.runtime.bytes + this.wait.bytes;
  }
}

/** Figures by key, bounded: past `maxKeys`, new keys are counted under `overflowKey`. */
export class FigureSet {
  readonly byKey = new Map<string, KeyFigures>();
  overflowed = false;

  constructor(
    readonly maxKeys: number,
    readonly overflowKey: string,
  ) {}

  of(key: string): KeyFigures {
    let f = this.byKey.get(key);
    if (f) return f;
    if (this.byKey.size >= this.maxKeys) {
      this.overflowed = true;
      key = this.overflowKey;
      f = this.byKey.get(key);
      if (f) return f;
    }
    f = new KeyFigures();
    this.byKey.set(key, f);
    return f;
  }

  get bytes(): number {
    let n = 0;
    for (const f of this.byKey.values()) n += f.bytes;
    return n;
  }
}
