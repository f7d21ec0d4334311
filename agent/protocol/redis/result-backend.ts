/**
 * Celery's Redis result backend: `celery-task-meta-<id>` keys, and the PUBLISH of each on a channel
 * of the same name. Read with SCAN + pipelined GET in batches; followed live with PSUBSCRIBE.
 */
import type { Redis } from "ioredis";
import { parseTaskMeta, type TaskMeta } from "../result-meta";
import type { BackfillProgress, ConnectionStatus, ResultBackend } from "../transport";
import { createConnection, StatusTracker, unavailableWhenDisconnected } from "./connection";
import { maskUrl } from "../../base/mask";
import type { RedisTarget } from "./url";

const META_PREFIX = "celery-task-meta-";

export interface RedisResultBackendOptions {
  url: string;
  target: RedisTarget;
  /** The backend's own key prefix (result_backend_transport_options.global_keyprefix). */
  keyPrefix?: string;
  masterName?: string;
  batchSize?: number;
}

export class RedisResultBackend implements ResultBackend {
  readonly description: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly tracker = new StatusTracker();
  private readonly listeners: ((m: TaskMeta) => void)[] = [];
  private readonly resubscribeListeners: (() => void)[] = [];
  private readonly prefix: string;

  constructor(private readonly opts: RedisResultBackendOptions) {
    this.description = maskUrl(opts.url);
    this.prefix = (opts.keyPrefix ?? "") + META_PREFIX;
    this.cmd = createConnection(opts.target, opts.masterName, "celery-panel:results");
    this.sub = createConnection(opts.target, opts.masterName, "celery-panel:results-live");
    this.tracker.watch(this.cmd);
    this.sub.on("pmessageBuffer", (_p: Buffer, channel: Buffer, message: Buffer) => this.onPublish(channel, message));
  }

  status(): ConnectionStatus {
    return this.tracker.get();
  }

  onStatus(listener: (s: ConnectionStatus) => void): void {
    this.tracker.onChange(listener);
  }

  onMeta(listener: (m: TaskMeta) => void): void {
    this.listeners.push(listener);
  }

  onResubscribed(listener: () => void): void {
    this.resubscribeListeners.push(listener);
  }

  async start(): Promise<void> {
    await Promise.allSettled([this.cmd.connect(), this.sub.connect()]);
    const pattern = `${this.prefix}*`;
    await this.sub.psubscribe(pattern).catch(() => undefined);
    // After a reconnect (Redis restarted, or it dropped a subscriber that fell behind): subscribe
    // again (a no-op if ioredis already did), and only once that holds, say so: whatever was
    // published meanwhile is lost, and the listener reads it back from the keys.
    this.sub.on("ready", () => {
      void this.sub.psubscribe(pattern).then(
        () => {
          for (const l of this.resubscribeListeners) l();
        },
        () => undefined,
      );
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.cmd, this.sub].map((c) => c.quit().catch(() => c.disconnect())));
  }

  /**
   * Pub/sub is not scoped by database: another deployment's backend on the same server publishes on
   * the same channels. Celery stores the key before it publishes (one transaction), so a publish
   * counts only if its key exists in our database; checks are batched per tick. One EXISTS over the
   * batch's keys settles the usual case (all ours) in one command; only a batch with a stranger in
   * it is checked key by key.
   */
  private onPublish(channel: Buffer, message: Buffer): void {
    const id = channel.toString("utf8").slice(this.prefix.length);
    const meta = parseTaskMeta(message.toString("utf8"), Date.now(), id);
    if (!meta) return;
    this.unverified.push(meta);
    if (this.unverified.length === 1) setImmediate(() => void this.verifyPublished());
  }

  private unverified: TaskMeta[] = [];

  private async verifyPublished(): Promise<void> {
    const batch = this.unverified;
    this.unverified = [];
    const keys = batch.map((m) => this.prefix + m.taskId);
    // EXISTS counts a key named twice twice: all ours exactly when it counts every key.
    const all = await this.cmd.exists(...keys).catch(() => null);
    let ours: (m: TaskMeta, i: number) => boolean = () => all === keys.length;
    if (all !== null && all !== keys.length) {
      const pipe = this.cmd.pipeline();
      for (const k of keys) pipe.exists(k);
      const found = await pipe.exec().catch(() => null);
      ours = (_m, i) => found?.[i]?.[1] === 1;
    }
    batch.forEach((m, i) => {
      if (!ours(m, i)) return;
      for (const l of this.listeners) l(m);
    });
  }

  /**
   * SCAN + MGET in batches, pipelined: while one batch is parsed and handed over, Redis is already
   * answering the next SCAN and MGET, so the agent's time and Redis's time overlap. Between batches
   * the event loop is let go, so requests are served during a long backfill.
   */
  async backfill(onBatch: (metas: TaskMeta[]) => void, onProgress: (p: BackfillProgress) => void): Promise<string | null> {
    const batch = this.opts.batchSize ?? 1000;
    const progress: BackfillProgress = { scanned: 0, loaded: 0, done: false };
    const scan = (cursor: string): Promise<[string, string[]]> => {
      const p = this.cmd.scan(cursor, "MATCH", `${this.prefix}*`, "COUNT", batch);
      p.catch(() => undefined); // surfaced where it is awaited
      return p;
    };
    const read = async (keys: string[]) => ({ keys, values: keys.length ? await this.cmd.mgetBuffer(...keys) : [] });
    const handle = ({ keys, values }: { keys: string[]; values: (Buffer | null)[] }) => {
      const now = Date.now();
      const metas: TaskMeta[] = [];
      values.forEach((v, i) => {
        if (!v) return;
        const m = parseTaskMeta(v.toString("utf8"), now, keys[i]!.slice(this.prefix.length));
        if (m) metas.push(m);
      });
      progress.scanned += keys.length;
      progress.loaded += metas.length;
      if (metas.length) onBatch(metas);
      onProgress({ ...progress });
    };
    let next: ReturnType<typeof scan> | null = scan("0");
    let pending: ReturnType<typeof read> | null = null;
    while (next) {
      const [cursor, keys]: [string, string[]] = await next;
      next = cursor === "0" ? null : scan(cursor);
      const reading = read(keys);
      // Swallowed here, surfaced by the await below: a failed read must not be an unhandled rejection.
      reading.catch(() => undefined);
      if (pending) handle(await pending);
      pending = reading;
      // Let requests run between batches: the backfill must never hold the event loop for long.
      await new Promise((r) => setImmediate(r));
    }
    if (pending) handle(await pending);
    progress.done = true;
    onProgress({ ...progress });
    return null;
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    const raw = await unavailableWhenDisconnected(this.cmd.get(this.prefix + taskId));
    return raw ? parseTaskMeta(raw, Date.now(), taskId) : null;
  }
}
