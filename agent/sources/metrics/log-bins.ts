/**
 * Log-scaled bins for durations: bin i holds the values in (MIN·γ^(i-1), MIN·γ^i] seconds, and reads
 * back as the point of that range whose relative distance to both ends is RELATIVE_ERROR, so any
 * value read from a bin is within RELATIVE_ERROR of every value that went in (the DDSketch rule).
 * Bin 0 holds everything at or under MIN (read as 0), the last bin everything beyond the range.
 * Histograms of these bins merge by adding counts: any window, any set of names.
 */

/** A percentile read is within this fraction of the true value. */
export const RELATIVE_ERROR = 0.02;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** 0.1 ms: shorter is read as 0. */
const MIN_SECONDS = 1e-4;
/** Up to about 12 days; longer is counted in the last bin. */
export const BIN_COUNT = Math.ceil(Math.log(1e6 / MIN_SECONDS) / LOG_GAMMA) + 1;

/** The bin of a duration in seconds. */
export function binOf(seconds: number): number {
  if (!(seconds > MIN_SECONDS)) return 0;
  const i = Math.ceil(Math.log(seconds / MIN_SECONDS) / LOG_GAMMA);
  return i < BIN_COUNT ? i : BIN_COUNT - 1;
}

/** The value a bin reads as (seconds). */
export function readBin(bin: number): number {
  return bin === 0 ? 0 : (MIN_SECONDS * 2 * GAMMA ** bin) / (GAMMA + 1);
}

/** The range of a bin (seconds). */
export function boundsOf(bin: number): { lower: number; upper: number } {
  return bin === 0 ? { lower: 0, upper: MIN_SECONDS } : { lower: MIN_SECONDS * GAMMA ** (bin - 1), upper: MIN_SECONDS * GAMMA ** bin };
}

/** A histogram being read: counts per bin, merged from any number of stored ones. */
export class DenseHistogram {
  readonly counts = new Float64Array(BIN_COUNT);
  total = 0;

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  add(bin: number, n: number): void {
    this.counts[bin]! += n;
    this.total += n;
  }

  /** The q-quantile (0..1) in seconds, or null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = q * (this.total - 1);
    let seen = 0;
    for (let bin = 0; bin < BIN_COUNT; bin++) {
      seen += this.counts[bin]!;
      if (seen > rank) return readBin(bin);
    }
    return readBin(BIN_COUNT - 1);
  }

  /** The non-empty bins, low to high. */
  bins(): { lower: number; upper: number; count: number }[] {
    const out: { lower: number; upper: number; count: number }[] = [];
    for (let bin = 0; bin < BIN_COUNT; bin++) if (this.counts[bin]) out.push({ ...boundsOf(bin), count: this.counts[bin]! });
    return out;
  }

  /** Values at or under `seconds` (for Prometheus' cumulative buckets; exact at bin edges). */
  countAtMost(seconds: number): number {
    const last = binOf(seconds);
    let n = 0;
    for (let bin = 0; bin <= last; bin++) n += this.counts[bin]!;
    return n;
  }
}
