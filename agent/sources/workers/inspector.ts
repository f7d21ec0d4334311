/**
 * Remote-control reads shared by every request: one broadcast per method at a time (concurrent
 * callers join it), replies kept per worker while fresh, and early return as soon as every worker
 * known to be alive has answered.
 */
import type { ReadOnlyControlMethod } from "../../protocol/control";
import type { RemoteControl } from "../../protocol/transport";

export interface Reply {
  value: unknown;
  at: number;
}

/** How long a reply stays fresh, per method: live numbers briefly, static facts longer. */
export const FRESH_MS: Record<ReadOnlyControlMethod, number> = {
  ping: 1000,
  stats: 2000,
  active: 1000,
  reserved: 1000,
  scheduled: 2000,
  revoked: 5000,
  registered: 30_000,
  active_queues: 15_000,
  conf: 30_000,
  query_task: 1000,
  report: 30_000,
  clock: 1000,
};

const RETRY_MISSING_MS = 1000;

export interface InspectOutcome {
  /** Worker -> its latest reply (possibly from an earlier, still fresh broadcast). */
  replies: Map<string, Reply>;
  /** Workers asked that did not answer in time. */
  missing: string[];
  /** Why nothing could be asked (broker down), if so; cached replies are still returned. */
  error: string | null;
}

export class Inspector {
  /** Keyed by method and arguments ("conf" with and without defaults are different reads). */
  private readonly cache = new Map<string, Map<string, Reply>>();
  private readonly lastBroadcast = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** What remote control cost: broadcasts sent, how many ended early (everyone answered), how many ran to the timeout. */
  readonly counters = { broadcasts: 0, early: 0, timeouts: 0, failed: 0, byMethod: {} as Partial<Record<ReadOnlyControlMethod, number>> };

  constructor(
    private readonly transport: Pick<RemoteControl, "broadcast">,
    private readonly timeoutMs: number,
    /** Workers expected to answer: alive and not known to be busy. */
    private readonly expected: () => ReadonlySet<string>,
    /** Told of every reply: an answer proves the worker alive. */
    private readonly onReply: (method: ReadOnlyControlMethod, worker: string, value: unknown, at: number) => void = () => {},
  ) {}

  /**
   * Replies for `method` from every worker (or just `destination`), broadcasting only when the
   * cached ones are older than the method's freshness window.
   */
  async read(method: ReadOnlyControlMethod, opts: { destination?: string[]; args?: Record<string, unknown> } = {}): Promise<InspectOutcome> {
    const now = Date.now();
    const fresh = FRESH_MS[method];
    const dest = opts.destination;
    const args = opts.args ?? {};
    const key = cacheKey(method, args);
    const last = this.lastBroadcast.get(key) ?? 0;
    // A live worker that missed the last broadcast (busy for a moment) is asked again, but not
    // more than once a second, so one silent worker cannot turn every request into a broadcast.
    const stale = dest
      ? dest.some((w) => !this.isFresh(key, w, now, fresh))
      : now - last > fresh || (now - last > RETRY_MISSING_MS && [...this.expected()].some((w) => !this.isFresh(key, w, now, fresh)));
    let error: string | null = null;
    if (stale) await this.broadcastOnce(method, dest, args).catch((e: Error) => (error = e.message));
    const replies = new Map<string, Reply>();
    const byWorker = this.cache.get(key) ?? new Map<string, Reply>();
    for (const [w, r] of byWorker) if (!dest || dest.includes(w)) replies.set(w, r);
    const asked = dest ?? [...this.expected()];
    return { replies, missing: asked.filter((w) => !replies.has(w)), error };
  }

  /**
   * What every worker expected to answer has replied to `method`, however old, without waiting:
   * a stale answer is refreshed in the background (one shared broadcast, as `read` would). Null
   * when some expected worker has never answered: the caller has to wait for `read`.
   * For summaries (the overview) that must answer at once and are refreshed live anyway.
   */
  cached(method: ReadOnlyControlMethod, args: Record<string, unknown> = {}): InspectOutcome | null {
    const expected = [...this.expected()];
    const byWorker = this.cache.get(cacheKey(method, args));
    if (!byWorker || !expected.length || expected.some((w) => !byWorker.has(w))) return null;
    void this.read(method, { args }).catch(() => undefined);
    return { replies: new Map(byWorker), missing: [], error: null };
  }

  /** Latest reply of one worker to one method, whatever its age. */
  latest(method: ReadOnlyControlMethod, worker: string, args: Record<string, unknown> = {}): Reply | undefined {
    return this.cache.get(cacheKey(method, args))?.get(worker);
  }

  /** The most recent conf any worker reported (time limits, routes...), without asking. */
  latestConf(): Record<string, unknown> | null {
    let best: Reply | undefined;
    for (const r of this.cache.get("conf")?.values() ?? []) if (!best || r.at > best.at) best = r;
    const v = best?.value;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  }

  forget(worker: string): void {
    for (const m of this.cache.values()) m.delete(worker);
  }

  private isFresh(key: string, worker: string, now: number, fresh: number): boolean {
    const r = this.cache.get(key)?.get(worker);
    return !!r && now - r.at <= fresh;
  }

  private broadcastOnce(method: ReadOnlyControlMethod, dest: string[] | undefined, args: Record<string, unknown>): Promise<void> {
    const key = `${cacheKey(method, args)}|${dest?.join(",") ?? "*"}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.broadcast(method, dest, args).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async broadcast(method: ReadOnlyControlMethod, dest: string[] | undefined, args: Record<string, unknown>): Promise<void> {
    const c = this.counters;
    c.broadcasts++;
    c.byMethod[method] = (c.byMethod[method] ?? 0) + 1;
    const result = await this.transport.broadcast(method, args, { timeoutMs: this.timeoutMs, destination: dest, expect: this.expected() }).catch((e: Error) => {
      c.failed++;
      throw e;
    });
    if (result.early) c.early++;
    else c.timeouts++;
    const at = Date.now();
    const key = cacheKey(method, args);
    let byWorker = this.cache.get(key);
    if (!byWorker) {
      byWorker = new Map();
      this.cache.set(key, byWorker);
    }
    for (const [w, v] of result.replies) {
      byWorker.set(w, { value: v, at });
      this.onReply(method, w, v, at);
    }
    if (!dest) this.lastBroadcast.set(key, at);
  }
}

function cacheKey(method: ReadOnlyControlMethod, args: Record<string, unknown>): string {
  return Object.keys(args).length ? `${method}:${JSON.stringify(args)}` : method;
}
