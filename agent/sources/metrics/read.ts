/**
 * Reading the figures over a window: counts summed, series per step, percentiles merged from the
 * histograms of the finest tier holding the whole window. Times here are minutes since the epoch;
 * the handlers' presenter turns them into the API's shapes.
 */
import { METRIC_COUNTS, type MetricCount, type WaitBasis } from "../../api/schema/enums";
import { COUNT_INDEX, type KeyFigures, TIERS, tierFor } from "./key-figures";
import { DenseHistogram } from "./log-bins";

/** A window: minutes [from, to), in steps of `step` minutes. */
export interface Span {
  from: number;
  to: number;
  step: number;
}

export type Counts = Record<MetricCount, number>;
// Type aliases rather than interfaces: the contract's loose objects take them as they are.
export type PercentileRead = { count: number; p50: number | null; p95: number | null; p99: number | null };
export type WaitRead = PercentileRead & { basis: WaitBasis | null };
export type FiguresRead = { counts: Counts; runtime: PercentileRead; wait: WaitRead };

const NCOUNTS = METRIC_COUNTS.length;

export function countsOf(values: Float64Array, offset = 0): Counts {
  return Object.fromEntries(METRIC_COUNTS.map((c, i) => [c, values[offset + i]!])) as Counts;
}

export function percentiles(h: DenseHistogram): PercentileRead {
  return { count: h.total, p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99) };
}

function basisOf(fromSent: number, total: number): WaitBasis | null {
  if (total === 0) return null;
  return fromSent === total ? "sent" : fromSent === 0 ? "received" : "mixed";
}

/** The tier the percentiles of a window of `minutes` come from, and the width of a percentile point. */
export function percentileResolution(span: Span): { tier: number; step: number } {
  const tier = tierFor(span.to - span.from);
  const width = TIERS[tier]!.width;
  return { tier, step: Math.ceil(span.step / width) * width };
}

/** Counts, runtime and wait percentiles of `keys` together over minutes [from, to). */
export function readFigures(keys: readonly KeyFigures[], from: number, to: number, tier: number, scratch = new DenseHistogram()): FiguresRead {
  const sums = new Float64Array(NCOUNTS);
  for (const k of keys) for (let i = 0; i < NCOUNTS; i++) sums[i]! += k.counts.sum(from, to, i);
  return { counts: countsOf(sums), ...readPercentiles(keys, from, to, tier, scratch) };
}

/** Runtime and wait percentiles of `keys` together over minutes [from, to), from histograms of `tier`. */
export function readPercentiles(
  keys: readonly KeyFigures[],
  from: number,
  to: number,
  tier: number,
  scratch = new DenseHistogram(),
): { runtime: PercentileRead; wait: WaitRead } {
  scratch.clear();
  for (const k of keys) k.runtime.mergeInto(scratch, tier, from, to);
  const runtime = percentiles(scratch);
  scratch.clear();
  let fromSent = 0;
  for (const k of keys) fromSent += k.wait.mergeInto(scratch, tier, from, to);
  return { runtime, wait: { ...percentiles(scratch), basis: basisOf(fromSent, scratch.total) } };
}

/** Counts per step of `keys` together: one Counts per step of the span. */
export function countSeries(keys: readonly KeyFigures[], span: Span): Counts[] {
  const points = Math.ceil((span.to - span.from) / span.step);
  const values = new Float64Array(points * NCOUNTS);
  for (const k of keys) for (let i = 0; i < NCOUNTS; i++) k.counts.addSteps(span.from, span.to, span.step, i, values, NCOUNTS, i);
  return Array.from({ length: points }, (_, p) => countsOf(values, p * NCOUNTS));
}

/** Runtime and wait percentiles of `keys` together per percentile step (see percentileResolution). */
export function percentileSeries(keys: readonly KeyFigures[], span: Span): { at: number; runtime: PercentileRead; wait: WaitRead }[] {
  const { tier, step } = percentileResolution(span);
  const out: { at: number; runtime: PercentileRead; wait: WaitRead }[] = [];
  const scratch = new DenseHistogram();
  const first = Math.floor(span.from / step) * step;
  for (let at = first; at < span.to; at += step) {
    out.push({ at, ...readPercentiles(keys, Math.max(at, span.from), Math.min(at + step, span.to), tier, scratch) });
  }
  return out;
}

/** One key's runtime histogram over the window (non-empty bins, seconds). */
export function runtimeHistogram(key: KeyFigures, span: Span): { lower: number; upper: number; count: number }[] {
  const h = new DenseHistogram();
  key.runtime.mergeInto(h, percentileResolution(span).tier, span.from, span.to);
  return h.bins();
}

export const countIndex = (c: MetricCount) => COUNT_INDEX[c];
