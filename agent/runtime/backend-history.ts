/**
 * The result backend and the task history read from it. The backend is given (--result-backend) or
 * discovered from the workers' own configuration (their `conf` reply) each time the broker
 * connects, until one is found. Its live results flow into the task store; the results already
 * stored are read once at start (the backfill), and read again (a catch-up) after every break in
 * the live subscription, so a task that finished while the agent was not listening is shown
 * finished. Results' times are put on the agent's clock where their worker's is off.
 *
 * The durable history gets the backfill too: through the store's writer for the tasks the store
 * keeps, directly (HistoryImport.keep) for those --max-tasks made it let go of. Where the backend
 * can resume (Celery's database backend: by row id), where the last backfill stopped is recorded
 * in the history, and the next start reads only what was stored since.
 */
import { openResultBackend, parseResultBackendUrl, privateResultBackend } from "../protocol/brokers";
import type { ResultBackend } from "../protocol/transport";
import { isRecord } from "../protocol/envelope";
import type { AgentOptions } from "../options";
import type { TaskStore } from "../sources/tasks/store";
import { newRecord } from "../sources/tasks/record";
import { applyMeta } from "../sources/tasks/record-merge";
import type { TaskMeta } from "../protocol/result-meta";
import type { HistoryImport } from "./durable-history";
import type { WorkerRegistry } from "../sources/workers/registry";
import type { Inspector } from "../sources/workers/inspector";
import { log } from "../base/log";
import { maskUrl } from "../base/mask";
import type { ConnectionLog } from "./connection-log";
import { metaOnAgentClock } from "./clock-skew";
import { compactHeapAfterBulkLoad } from "./heap";

export interface BackfillState {
  state: "pending" | "running" | "done" | "failed" | "disabled";
  scanned: number;
  loaded: number;
  error: string | null;
}

/** A progress line every this many result-backend keys while the history is backfilled. */
const BACKFILL_LOG_EVERY = 10_000;
/** A backfill this large leaves the heap fragmented by its parsing's garbage: worth compacting. */
const BULK_LOAD = 100_000;

export interface BackendHistoryDeps {
  options: AgentOptions;
  tasks: TaskStore;
  workers: WorkerRegistry;
  inspector: Inspector;
  connectionLog: ConnectionLog;
  /** The durable history: where the last backfill stopped, and the tasks the store let go of. */
  history: HistoryImport;
  /** The backend was found, its connection changed, or a backfill ended: what `health` shows changed. */
  healthChanged: () => void;
}

export class BackendHistory {
  backend: ResultBackend | null = null;
  /** Where the result backend URL came from. */
  origin: "option" | "workers" | null = null;
  backfill: BackfillState = { state: "disabled", scanned: 0, loaded: 0, error: null };
  /** The result backend in use keeps results only their caller can read (rpc://): its URL and why. */
  unreadable: { url: string; reason: string } | null = null;
  private backfillAgain = false;
  /** The workers' conf was applied to the backend given by option (once a worker answered). */
  private confFollowed = false;
  private started = false;
  private stopped = false;

  constructor(private readonly deps: BackendHistoryDeps) {
    const o = deps.options;
    if (o.resultBackend && o.resultBackendTarget) this.use(o.resultBackend, "option");
    else if (o.resultBackend) this.noteUnreadable(o.resultBackend);
  }

  /** rpc://: nothing to open; health and the tasks view say why results are not read. */
  private noteUnreadable(url: string): boolean {
    const reason = privateResultBackend(url);
    if (reason && !this.unreadable) {
      this.unreadable = { url: maskUrl(url), reason };
      log("result_backend.private", `result backend ${maskUrl(url)}: ${reason}`, { url: maskUrl(url) });
    }
    return reason !== null;
  }

  async start(): Promise<void> {
    if (this.backend) await this.startBackend();
  }

  /** On every broker (re)connection: the workers may name the result backend, if none is known. */
  async brokerConnected(): Promise<void> {
    if (!this.backend && !this.unreadable && !this.deps.options.resultBackend) await this.discover().catch(() => undefined);
    else if (this.backend?.followConf && this.origin === "option" && !this.confFollowed) await this.followWorkersConf().catch(() => undefined);
  }

  /**
   * A backend given by option whose storage the workers' conf names (Celery's database backend's
   * table names): the first worker to answer says where to read; a change is read from its start.
   */
  private async followWorkersConf(): Promise<void> {
    const backend = this.backend!;
    const conf = await this.deps.inspector.read("conf");
    for (const { value } of conf.replies.values()) {
      if (!isRecord(value) || this.stopped) continue;
      this.confFollowed = true;
      if (!backend.followConf!(value)) return;
      log("result_backend.tables", `result backend tables from the workers' configuration: ${backend.label ?? backend.description}`, {});
      // Before the backend started, its first backfill reads the new table anyway.
      if (this.started) this.catchUp();
      this.deps.healthChanged();
      return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.backend?.close();
  }

  description(): string | null {
    return this.backend ? maskUrl(this.backend.description) : null;
  }

  /** The workers' own result_backend, used when it carries no password (Celery masks those). */
  private async discover(): Promise<void> {
    const conf = await this.deps.inspector.read("conf");
    for (const { value } of conf.replies.values()) {
      const url = isRecord(value) ? value.result_backend : null;
      if (typeof url !== "string" || url.includes("********")) continue;
      if (this.noteUnreadable(url)) {
        this.deps.healthChanged();
        continue;
      }
      try {
        parseResultBackendUrl(url);
      } catch {
        continue;
      }
      if (this.backend || this.stopped) return;
      log("result_backend.discovered", `result backend from the workers' configuration: ${maskUrl(url)}`, { url: maskUrl(url) });
      this.use(url, "workers", isRecord(value) ? value : null);
      await this.startBackend();
      this.deps.healthChanged();
      return;
    }
  }

  /** `conf`: the configuration of the worker that named it (the database backend's table names). */
  private use(url: string, origin: "option" | "workers", conf: Record<string, unknown> | null = null): void {
    const backend = openResultBackend(url, this.deps.options.transportOptions, conf);
    this.backend = backend;
    this.origin = origin;
    this.backfill = { state: "pending", scanned: 0, loaded: 0, error: null };
    backend.onMeta((m) => this.deps.tasks.applyMeta(metaOnAgentClock(m, this.deps.workers)));
    backend.onStatus((s) => {
      this.deps.connectionLog.status("result_backend", backend.description, s);
      this.deps.healthChanged();
      // Tasks that finished while the backend was away come back with a new backfill.
      if (s.state === "connected" && this.started) this.catchUp();
    });
    // The live subscription broke (Redis restarted, or dropped the agent for falling behind): what
    // was published meanwhile is read back from the keys, merged by the usual precedence.
    backend.onResubscribed(() => {
      if (this.started) this.catchUp();
    });
  }

  private async startBackend(): Promise<void> {
    await this.backend!.start();
    // From here on, every (re)connection catches up; until now the first backfill is this one.
    this.started = true;
    if (this.backend!.status().state === "connected") this.catchUp();
  }

  /** A backfill now, or (one more) right after the one running: a pass that began before a break may have missed it. */
  private catchUp(): void {
    if (this.backfill.state === "running") this.backfillAgain = true;
    else void this.runBackfill();
  }

  /** The tasks of a backfill batch the store did not keep (--max-tasks), written to the history as the backend has them. */
  private keepLetGo(metas: TaskMeta[]): void {
    const letGo = metas.filter((m) => !this.deps.tasks.holds(m.taskId));
    if (!letGo.length || this.deps.history.room() === 0) return;
    this.deps.history.keep(
      letGo.map((m) => {
        const t = newRecord(m.taskId, 0, m.seenAt);
        applyMeta(t, m);
        return t;
      }),
    );
  }

  private async runBackfill(): Promise<void> {
    const backend = this.backend;
    if (!backend || this.stopped) return;
    this.backfillAgain = false;
    this.backfill = { state: "running", scanned: 0, loaded: 0, error: null };
    const startedAt = Date.now();
    let nextLogAt = BACKFILL_LOG_EVERY;
    // The label names the table too (Celery's database backend): another table is another source.
    const source = `result_backend ${maskUrl(backend.label ?? backend.description)}`;
    try {
      const resumed = await backend.backfill(
        (metas) => {
          const onClock = metas.map((m) => metaOnAgentClock(m, this.deps.workers));
          for (const m of onClock) this.deps.tasks.applyMeta(m, false);
          this.keepLetGo(onClock);
        },
        (p) => {
          this.backfill.scanned = p.scanned;
          this.backfill.loaded = p.loaded;
          if (p.done || p.scanned < nextLogAt) return;
          nextLogAt = (Math.floor(p.scanned / BACKFILL_LOG_EVERY) + 1) * BACKFILL_LOG_EVERY;
          log("backfill.progress", `task history: ${p.scanned} result keys read, ${p.loaded} tasks loaded so far`, { scanned: p.scanned, loaded: p.loaded });
        },
        this.deps.history.marker(source),
      );
      if (resumed !== null) this.deps.history.setMarker(source, resumed);
      this.backfill.state = "done";
      if (this.backfill.loaded >= BULK_LOAD) compactHeapAfterBulkLoad();
      const seconds = (Date.now() - startedAt) / 1000;
      log("backfill.done", `task history: ${this.backfill.loaded} tasks loaded from ${this.backfill.scanned} result keys in ${seconds.toFixed(1)} s`, {
        scanned: this.backfill.scanned,
        loaded: this.backfill.loaded,
        seconds,
      });
    } catch (e) {
      this.backfill = { ...this.backfill, state: "failed", error: (e as Error).message };
      log("backfill.failed", `task history could not be read: ${(e as Error).message}`, { scanned: this.backfill.scanned }, "error");
    }
    this.deps.healthChanged();
    if (this.backfillAgain) void this.runBackfill();
  }
}
