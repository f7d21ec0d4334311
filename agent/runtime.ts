/**
 * The running agent: connects the protocol layer (broker, result backend) to the stores (workers,
 * tasks) and keeps them current. The HTTP layer reads from here and never touches Redis itself.
 */
import { RedisBroker } from "./protocol/redis/broker";
import { RedisResultBackend } from "./protocol/redis/result-backend";
import { parseRedisUrl } from "./protocol/redis/url";
import { maskUrl } from "./base/mask";
import type { CeleryEvent } from "./protocol/events";
import type { TaskMeta } from "./protocol/result-meta";
import type { ConnectionStatus } from "./protocol/transport";
import type { AgentOptions } from "./options";
import { TaskStore } from "./sources/tasks/store";
import type { TaskRecord } from "./sources/tasks/record";
import { WorkerRegistry, type Liveness } from "./sources/workers/registry";
import { Inspector } from "./sources/workers/inspector";
import { PoolProbe } from "./sources/workers/pool-probe";
import { isRecord } from "./protocol/envelope";
import { poolKind } from "./sources/workers/present";
import { Cached } from "./sources/cache";
import { WaitingMessages } from "./sources/waiting";
import { log } from "./base/log";
import { DjangoSources } from "./sources/django/sources";
import { compactHeapAfterBulkLoad } from "./heap";
import { EventsObserved } from "./sources/config-observed";
import type { QueueDeclaration } from "./sources/queues";
import { consumedQueues, deliveries, onlyQueue, queueOfDelivery } from "./sources/tasks/queue-inference";

export interface BackfillState {
  state: "pending" | "running" | "done" | "failed" | "disabled";
  scanned: number;
  loaded: number;
  error: string | null;
}

export type AgentChange = { kind: "worker"; name: string } | { kind: "task"; task: TaskRecord } | { kind: "health" };

const SWEEP_MS = 500;
/** A worker whose queues are unknown is asked for them at most this often. */
const QUEUES_ASK_EVERY_MS = 15_000;
const BINDINGS_FRESH_MS = 5000;
/** A progress line every this many result-backend keys while the history is backfilled. */
const BACKFILL_LOG_EVERY = 10_000;

export class Agent {
  readonly startedAt = Date.now();
  readonly broker: RedisBroker;
  backend: RedisResultBackend | null = null;
  /** Where the result backend URL came from. */
  backendOrigin: "option" | "workers" | null = null;
  readonly tasks: TaskStore;
  readonly workers: WorkerRegistry;
  readonly inspector: Inspector;
  /** Asks each worker newly heard from for its pool, which its events never say. */
  private readonly poolProbe: PoolProbe;
  /** Messages waiting in the queues, read from the broker into the task store on demand. */
  readonly waiting: WaitingMessages;
  /** django-celery-results / django-celery-beat databases, when --tasks-db / --beat-db are given. */
  readonly django: DjangoSources;
  lastEventAt: number | null = null;
  /** What the events show about the deployment's settings (task events on, routing keys used). */
  readonly observed = new EventsObserved();
  /** Exchange bindings change rarely and cost a SCAN: shared for a few seconds. */
  readonly brokerBindings = new Cached(BINDINGS_FRESH_MS, () => this.broker.bindings());
  backfill: BackfillState = { state: "disabled", scanned: 0, loaded: 0, error: null };
  private readonly changeListeners = new Set<(c: AgentChange) => void>();
  /** What each worker said it consumes (its latest active_queues), for inferring tasks' queues. */
  private readonly consumed = new Map<string, QueueDeclaration[]>();
  private readonly queuesAskedAt = new Map<string, number>();
  private readonly lastLiveness = new Map<string, string>();
  /** The connection state last logged per connection, so a flapping reason is not logged twice. */
  private readonly loggedStates = new Map<string, ConnectionStatus["state"]>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private bindingsReadAt = 0;
  private backfillAgain = false;
  private backendStarted = false;
  private stopped = false;

  constructor(readonly options: AgentOptions) {
    this.broker = new RedisBroker({ url: options.broker, target: options.brokerTarget, transportOptions: options.transportOptions });
    this.tasks = new TaskStore(options.maxTasks);
    this.waiting = new WaitingMessages(this.broker, this.tasks);
    this.workers = new WorkerRegistry({ running: (w) => this.runningOn(w), typicalRuntime: (name) => this.tasks.typicalRuntime(name) });
    this.inspector = new Inspector(
      this.broker,
      options.inspectTimeoutMs,
      () => this.workers.responsive(),
      (method, worker, value, at) => {
        this.workers.answered(worker, at);
        if (method === "stats") this.workers.setPool(worker, poolKind(value));
        else if (method === "active_queues") this.onActiveQueues(worker, value);
        else if (method === "active" || method === "reserved" || method === "scheduled") this.onHeldTasks(worker, value);
      },
    );
    this.poolProbe = new PoolProbe(this.workers, this.inspector);
    this.tasks.workerQueue = (worker) => onlyQueue(this.consumed.get(worker) ?? []);
    this.workers.onChange((w) => this.emit({ kind: "worker", name: w.name }));
    this.workers.onRestart((w, oldPid) => {
      this.tasks.markLost(w.name, `the worker restarted (pid ${oldPid} replaced by ${w.pid ?? "a new process"}) before the task finished`, Date.now());
    });
    this.django = new DjangoSources(options.tasksDb, options.beatDb);
    if (options.resultBackend && options.resultBackendTarget) {
      this.useBackend(options.resultBackend, "option");
    }
    this.broker.onEvent((e) => this.onEvent(e));
    this.broker.onStatus((s) => this.onBrokerStatus(s));
    this.tasks.onChange((task) => this.emit({ kind: "task", task }));
  }

  onChange(l: (c: AgentChange) => void): () => void {
    this.changeListeners.add(l);
    return () => this.changeListeners.delete(l);
  }

  private emit(c: AgentChange): void {
    for (const l of this.changeListeners) l(c);
  }

  async start(): Promise<void> {
    await this.django.start();
    await this.broker.start();
    if (this.backend) await this.startBackend();
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    if (this.broker.status().state === "connected") void this.afterBrokerConnected();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.poolProbe.stop();
    await Promise.allSettled([this.broker.close(), this.backend?.close(), this.django.close()]);
  }

  private onEvent(e: CeleryEvent): void {
    this.lastEventAt = e.receivedAt;
    this.workers.applyEvent(e);
    this.poolProbe.heard(e);
    this.observed.apply(e);
    if (!e.type.startsWith("task-")) return;
    // A worker whose clock is off: its task times put on the agent's clock (task-sent comes from a
    // client, whose clock is not measured).
    const skew = e.type === "task-sent" ? 0 : this.workers.skewCorrection(e.hostname);
    this.tasks.applyEvent(skew ? { ...e, timestamp: e.timestamp - skew } : e);
    this.learnQueuesOf(e.hostname);
  }

  /**
   * A worker's tasks are given its queue when it consumes only one (see onActiveQueues): a worker
   * whose queues are not known yet is asked once (a read-only inspect, which it may also be asked by
   * the workers and queues views), if it can answer.
   */
  private learnQueuesOf(worker: string): void {
    if (this.consumed.has(worker)) return;
    const now = Date.now();
    // (A worker busy for good sends no events either: asking who is responsive stays rare.)
    if (now - (this.queuesAskedAt.get(worker) ?? 0) < QUEUES_ASK_EVERY_MS || !this.workers.responsive().has(worker)) return;
    this.queuesAskedAt.set(worker, now);
    void this.inspector.read("active_queues", { destination: [worker] }).catch(() => undefined);
  }

  private onActiveQueues(worker: string, reply: unknown): void {
    const queues = consumedQueues(reply);
    const before = onlyQueue(this.consumed.get(worker) ?? []);
    const known = this.consumed.has(worker);
    this.consumed.set(worker, queues);
    const only = onlyQueue(queues);
    // The tasks held without a queue get it once, when the worker's one queue is first known.
    if (only !== null && (!known || only !== before)) this.tasks.inferWorkerQueue(worker, only);
  }

  /** Messages a worker holds name their routing key: the queue, where that names one. */
  private onHeldTasks(worker: string, reply: unknown): void {
    const consumed = this.consumed.get(worker) ?? [];
    for (const d of deliveries(reply)) {
      const queue = queueOfDelivery(d.exchange, d.routingKey, consumed);
      if (queue !== null) this.tasks.inferQueue(d.id, queue, "delivery_info");
    }
  }

  private onBrokerStatus(s: ConnectionStatus): void {
    this.workers.setListening(s.state === "connected", s.since);
    this.logConnection("broker", this.broker.description, s);
    this.emit({ kind: "health" });
    if (s.state === "connected") void this.afterBrokerConnected();
  }

  /** On every (re)connection: learn who should exist, and find the result backend if not given. */
  private async afterBrokerConnected(): Promise<void> {
    await this.refreshBindings(true).catch(() => undefined);
    if (!this.backend && !this.options.resultBackend) await this.discoverBackend().catch(() => undefined);
  }

  /** Seeds the registry with workers holding a remote-control binding (cached for a few seconds). */
  async refreshBindings(force = false): Promise<void> {
    if (!force && Date.now() - this.bindingsReadAt < BINDINGS_FRESH_MS) return;
    if (this.broker.status().state !== "connected") return;
    this.bindingsReadAt = Date.now();
    this.workers.applyBindings(await this.broker.pidboxWorkers());
  }

  /** The workers' own result_backend, used when it carries no password (Celery masks those). */
  private async discoverBackend(): Promise<void> {
    const conf = await this.inspector.read("conf");
    for (const { value } of conf.replies.values()) {
      const url = isRecord(value) ? value.result_backend : null;
      if (typeof url !== "string" || url.includes("********") || !/^(redis|rediss|sentinel|redis\+socket):/.test(url)) continue;
      try {
        parseRedisUrl(url);
      } catch {
        continue;
      }
      if (this.backend || this.stopped) return;
      log("result_backend.discovered", `result backend from the workers' configuration: ${maskUrl(url)}`, { url: maskUrl(url) });
      this.useBackend(url, "workers");
      await this.startBackend();
      this.emit({ kind: "health" });
      return;
    }
  }

  private useBackend(url: string, origin: "option" | "workers"): void {
    const target = parseRedisUrl(url);
    this.backend = new RedisResultBackend({ url, target, masterName: this.options.transportOptions.master_name });
    this.backendOrigin = origin;
    this.backfill = { state: "pending", scanned: 0, loaded: 0, error: null };
    this.backend.onMeta((m) => this.tasks.applyMeta(this.onAgentClock(m)));
    const backend = this.backend;
    backend.onStatus((s) => {
      this.logConnection("result_backend", backend.description, s);
      this.emit({ kind: "health" });
      // Tasks that finished while the backend was away come back with a new backfill.
      if (s.state === "connected" && this.backendStarted) this.catchUp();
    });
    // The live subscription broke (Redis restarted, or dropped the agent for falling behind): what
    // was published meanwhile is read back from the keys, merged by the usual precedence.
    backend.onResubscribed(() => {
      if (this.backendStarted) this.catchUp();
    });
  }

  private async startBackend(): Promise<void> {
    await this.backend!.start();
    // From here on, every (re)connection catches up; until now the first backfill is this one.
    this.backendStarted = true;
    if (this.backend!.status().state === "connected") this.catchUp();
  }

  /** A stored result's date_done is the worker's clock: put on the agent's when that worker's is off. */
  private onAgentClock(m: TaskMeta): TaskMeta {
    const skew = m.worker && m.dateDone !== null ? this.workers.skewCorrection(m.worker) : 0;
    return skew ? { ...m, dateDone: m.dateDone! - skew * 1000 } : m;
  }

  /** A backfill now, or (one more) right after the one running: a pass that began before a break may have missed it. */
  private catchUp(): void {
    if (this.backfill.state === "running") this.backfillAgain = true;
    else void this.runBackfill();
  }

  private async runBackfill(): Promise<void> {
    const backend = this.backend;
    if (!backend || this.stopped) return;
    this.backfillAgain = false;
    this.backfill = { state: "running", scanned: 0, loaded: 0, error: null };
    const startedAt = Date.now();
    let nextLogAt = BACKFILL_LOG_EVERY;
    try {
      await backend.backfill(
        (metas) => {
          for (const m of metas) this.tasks.applyMeta(this.onAgentClock(m), false);
        },
        (p) => {
          this.backfill.scanned = p.scanned;
          this.backfill.loaded = p.loaded;
          if (p.done || p.scanned < nextLogAt) return;
          nextLogAt = (Math.floor(p.scanned / BACKFILL_LOG_EVERY) + 1) * BACKFILL_LOG_EVERY;
          log("backfill.progress", `task history: ${p.scanned} result keys read, ${p.loaded} tasks loaded so far`, { scanned: p.scanned, loaded: p.loaded });
        },
      );
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
    this.emit({ kind: "health" });
    if (this.backfillAgain) void this.runBackfill();
  }

  /** One line when a connection comes up or goes down (not on every retry while it stays down). */
  private logConnection(what: "broker" | "result_backend", description: string, s: ConnectionStatus): void {
    // Closing the connections on stop is not news.
    if (this.stopped || s.state === "connecting" || this.loggedStates.get(what) === s.state) return;
    const wasConnected = this.loggedStates.get(what) === "connected";
    this.loggedStates.set(what, s.state);
    const label = what === "broker" ? "broker" : "result backend";
    if (s.state === "connected") return log(`${what}.connected`, `${label} connected: ${description}`, { url: description });
    const reason = s.error ?? "unavailable";
    const message = `${label} ${wasConnected ? "disconnected" : "unavailable"}: ${description}: ${reason} (retrying)`;
    log(`${what}.disconnected`, message, { url: description, reason }, "warn");
  }

  /** Tasks a worker has started and not finished, as far as events and the backend tell. */
  runningOn(worker: string): { id: string; name: string | null; started: number | null }[] {
    const out: { id: string; name: string | null; started: number | null }[] = [];
    for (const t of this.tasks.inState("STARTED")) if (t.worker === worker) out.push({ id: t.id, name: t.name, started: t.started });
    return out;
  }

  liveness(name: string): Liveness {
    const w = this.workers.get(name);
    return w ? this.workers.liveness(w) : { status: "offline", busy: false, detail: "unknown worker" };
  }

  /**
   * Liveness changes with time alone (a heartbeat that does not come): look for it regularly. A
   * worker going from online to offline takes its received and started tasks with it: they are
   * marked LOST (a worker first seen offline is not judged: its tasks may predate the agent).
   */
  private sweep(): void {
    for (const w of this.workers.all()) {
      const l = this.workers.liveness(w);
      const key = `${l.status}|${l.busy}`;
      const before = this.lastLiveness.get(w.name);
      if (before === key) continue;
      this.lastLiveness.set(w.name, key);
      if (l.status === "offline" && before?.startsWith("online")) this.tasks.markLost(w.name, `the worker went offline: ${l.detail ?? "no heartbeat"}`, Date.now());
      this.emit({ kind: "worker", name: w.name });
    }
  }

  brokerDescription(): string {
    return this.broker.description;
  }

  backendDescription(): string | null {
    return this.backend ? maskUrl(this.backend.description) : null;
  }
}

/** A backfill this large leaves the heap fragmented by its parsing's garbage: worth compacting. */
const BULK_LOAD = 100_000;
