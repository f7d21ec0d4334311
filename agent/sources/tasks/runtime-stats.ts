/**
 * How long a task of a given name usually runs, for the workers' view ("running longer than
 * usual"): the 95th percentile of the held tasks' runtimes. It is a scan of two columns, so an
 * answer is kept for a while rather than recomputed on every request.
 */
import { dec, EMPTY } from "./columns";
import type { TaskSlots } from "./slots";

/** How many runs make a percentile worth stating, and how long one is reused. */
const MIN_RUNTIMES = 20;
const RUNTIME_STATS_MS = 30_000;

export class RuntimeStats {
  /** Answers per task name, while fresh. */
  private readonly byName = new Map<string, { at: number; p95: number | null }>();

  constructor(private readonly slots: TaskSlots) {}

  /**
   * The 95th percentile of the runtimes (seconds) of the held tasks named `name`, when at least
   * MIN_RUNTIMES of them ran; kept for RUNTIME_STATS_MS.
   */
  typicalRuntime(name: string, now: number): number | null {
    const held = this.byName.get(name);
    if (held && now - held.at < RUNTIME_STATS_MS) return held.p95;
    const { c, syms, nextSlot } = this.slots;
    const sym = syms.name.idOf(name);
    const runtimes: number[] = [];
    if (sym !== undefined) {
      for (let slot = 0; slot < nextSlot; slot++) {
        if (c.name[slot] !== sym || c.state[slot] === EMPTY) continue;
        const r = dec(c.runtime[slot]!);
        if (r !== null) runtimes.push(r);
      }
    }
    runtimes.sort((a, b) => a - b);
    const p95 = runtimes.length >= MIN_RUNTIMES ? runtimes[Math.min(runtimes.length - 1, Math.floor(runtimes.length * 0.95))]! : null;
    this.byName.set(name, { at: now, p95 });
    return p95;
  }
}
