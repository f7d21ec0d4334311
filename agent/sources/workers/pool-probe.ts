/**
 * Learns each worker's pool as soon as it is heard from. Worker events (online, heartbeat) carry
 * freq, counters, load and software, never the pool, yet the pool decides what a worker's silence
 * means (a solo worker sends nothing while busy). So a worker first heard from, back online, or
 * restarted under its name is sent a read-only `stats` request of its own at once; the reply
 * (through the Inspector's reply hook) sets the registry's pool.
 */
import type { CeleryEvent } from "../../protocol/events";
import type { Inspector } from "./inspector";
import type { WorkerRegistry } from "./registry";

/** Workers heard within this window are asked together, in one request. */
const BATCH_MS = 50;
/** A worker that did not answer (a solo one busy from its first second) is asked again on a later event, backing off. */
const RETRY_FIRST_MS = 5000;
const RETRY_MAX_MS = 5 * 60_000;

export class PoolProbe {
  private readonly retryAt = new Map<string, { at: number; backoff: number }>();
  private readonly due = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly inspector: Inspector,
    private readonly now: () => number = Date.now,
  ) {
    // A new process may run another pool: ask it afresh, not after the old one's backoff, and do
    // not take the old process's replies for its own.
    registry.onRestart((w) => {
      this.retryAt.delete(w.name);
      inspector.forget(w.name);
    });
  }

  /** An event was applied to the registry: ask its worker for its pool if that is not known yet. */
  heard(e: CeleryEvent): void {
    if (this.stopped || e.type === "task-sent") return;
    const name = e.hostname;
    if (e.type === "worker-online") this.retryAt.delete(name);
    if (this.registry.pools.has(name) || this.due.has(name)) return;
    const retry = this.retryAt.get(name);
    if (retry && this.now() < retry.at) return;
    const backoff = retry ? Math.min(retry.backoff * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    this.retryAt.set(name, { at: this.now() + backoff, backoff });
    this.due.add(name);
    if (!this.timer) this.timer = setTimeout(() => void this.ask(), BATCH_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async ask(): Promise<void> {
    this.timer = null;
    const names = [...this.due];
    this.due.clear();
    if (this.stopped || !names.length) return;
    // Unanswered (broker down, or busy): the retry time set above asks again on a later event.
    await this.inspector.read("stats", { destination: names }).catch(() => undefined);
    for (const n of names) if (this.registry.pools.has(n)) this.retryAt.delete(n);
  }
}
