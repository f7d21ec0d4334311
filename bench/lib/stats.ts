/** Small statistics for benchmark samples: medians, percentiles and how much the samples spread. */

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
  /** Interquartile range relative to the median: 0.1 means the middle half of the samples lie within ±5 %. */
  spread: number;
}

export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export function summarize(samples: readonly number[]): Summary {
  const p50 = median(samples);
  const iqr = percentile(samples, 75) - percentile(samples, 25);
  return {
    n: samples.length,
    p50,
    p90: percentile(samples, 90),
    min: Math.min(...samples),
    max: Math.max(...samples),
    spread: p50 ? iqr / p50 : 0,
  };
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
