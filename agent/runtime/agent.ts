/**
 * The running agent: connects the protocol layer (broker, result backend) to the stores (workers,
 * tasks) and keeps them current. The HTTP layer reads from here and never touches Redis itself.
 *
 * This file is the wiring: it opens the transports (protocol/brokers.ts, from the URL) and builds the stores and routes what the broker
 * says to them. The rest of the agent's running parts sit beside it in this folder:
 * backend-history.ts (the result backend: discovery, backfill, catch-up), durable-history.ts (the
 * task history on disk the agent writes), liveness-sweep.ts (tasks
 * marked LOST), worker-queues.ts (which queue a task came from), clock-skew.ts, connection-log.ts.
 */
import { openBroker, openPeriodicStore, transportName } from "../protocol/brokers";
import { maskUrl } from "../base/mask";
import type { CeleryEvent } from "../protocol/events";
import type { BrokerTransport, ConnectionStatus, ResultBackend } from "../protocol/transport";
import type { AgentOptions } from "../options";
import { TaskStore } from "../sources/tasks/store";
import type { TaskRecord } from "../sources/tasks/record";
import { WorkerRegistry, type Liveness } from "../sources/workers/registry";
import { Inspector } from "../sources/workers/inspector";
import { PoolProbe } from "../sources/workers/pool-probe";
import { poolKind } from "../sources/workers/pool-kind";
import { Cached } from "../sources/cache";
import { WaitingMessages } from "../sources/waiting";
import { DjangoSources } from "../sources/django/sources";
import { EventsObserved } from "../sources/config-observed";
import { PeriodicStoreSource } from "../sources/periodic/store";
import { BackendHistory, type BackfillState } from "./backend-history";
import { ConnectionLog } from "./connection-log";
import { log } from "../base/log";
import { LivenessSweep } from "./liveness-sweep";
import { WorkerQueues } from "./worker-queues";
import { eventOnAgentClock } from "./clock-skew";
import { PerAgentState } from "./per-agent-state";
import { Diagnostics } from "./diagnostics";
import { DurableHistory } from "./durable-history";
import { backfillFromDjango } from "./history-backfill";
import type { TaskSource } from "../sources/task-source";
import { LiveTaskSource } from "../sources/tasks/live-source";
import { ChainedTaskSource } from "../sources/chained-source";
import { MetricsStore } from "../sources/metrics/store";
import { observeChange } from "../sources/metrics/transitions";
import { MetricsSampler } from "./metrics-sampler";
import { concurrencyOf, maxRssKb } from "./diagnostics-history";

export type AgentChange = { kind: "worker"; name: string } | { kind: "task"; task: TaskRecord } | { kind: "health" };

const BINDINGS_FRESH_MS = 5000;

export class Agent {
  readonly startedAt = Date.now();
  readonly broker: BrokerTransport;
  /** The periodic schedule kept on the broker (RedBeat), read when the periodic view asks. */
  readonly periodicStore: PeriodicStoreSource;
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
  /** Celery events received (for /metrics). */
  eventsReceived = 0;
  /** What the events show about the deployment's settings (task events on, routing keys used). */
  readonly observed = new EventsObserved();
  /** Exchange bindings change rarely and cost a SCAN: shared for a few seconds. */
  readonly brokerBindings = new Cached(BINDINGS_FRESH_MS, async () => (await this.broker.queues?.bindings()) ?? []);
  /** What the handlers and the HTTP layer keep for this agent (see per-agent-state.ts). */
  readonly state: PerAgentState<Agent> = new PerAgentState<Agent>(this);
  /** The findings: what is wrong, and why tasks wait (see diagnostics.ts). */
  readonly diagnostics: Diagnostics;
  /** The result backend's records read into the store (backfill, catch-up): backend-history.ts. */
  private readonly backendReader: BackendHistory;
  /** The durable task history on disk (durable-history.ts): what this and earlier runs saw. */
  readonly durableHistory: DurableHistory;
  /** Where the tasks view's tasks come from (sources/task-source.ts). */
  readonly taskSource: TaskSource;
  /** Figures over time (tasks per name and queue, runtimes, waits, queues, workers, failures): sources/metrics/. */
  readonly metrics = new MetricsStore();
  /** Samples the queues into the metrics every few seconds. */
  readonly metricsSampler: MetricsSampler;
  private readonly queues: WorkerQueues;
  private readonly sweep: LivenessSweep;
  private readonly connectionLog = new ConnectionLog();
  private readonly changeListeners = new Set<(c: AgentChange) => void>();
  private bindingsReadAt = 0;

  constructor(readonly options: AgentOptions) {
    this.broker = openBroker(options.broker, options.transportOptions, { brokerApi: options.brokerApi });
    this.periodicStore = new PeriodicStoreSource(this.broker, openPeriodicStore(this.broker));
    this.tasks = new TaskStore(options.maxTasks);
    // Every change of a task, with what it was before: a state counts once per task and run.
    this.tasks.observer = (t, before) => observeChange(this.metrics, t, before, Date.now());
    this.waiting = new WaitingMessages(this.broker.queues?.messagePeek ?? null, this.tasks);
    this.workers = new WorkerRegistry({
      running: (w) => this.runningOn(w),
      typicalRuntime: (name) => this.tasks.typicalRuntime(name),
      suspectAfterMs: options.stuckAfterMs,
    });
    this.inspector = new Inspector(
      this.broker.control,
      options.inspectTimeoutMs,
      () => this.workers.responsive(),
      (method, worker, value, at) => {
        this.workers.answered(worker, at);
        if (method === "stats") {
          this.workers.setPool(worker, poolKind(value));
          this.metrics.workers.stats(worker, at, concurrencyOf(value), maxRssKb(value));
        } else if (method === "active_queues") this.queues.activeQueues(worker, value);
        else if (method === "active" || method === "reserved" || method === "scheduled") this.queues.heldTasks(worker, value);
      },
    );
    this.poolProbe = new PoolProbe(this.workers, this.inspector);
    this.queues = new WorkerQueues(this.tasks, this.workers, this.inspector);
    this.workers.onChange((w) => this.emit({ kind: "worker", name: w.name }));
    this.sweep = new LivenessSweep(this.workers, this.tasks, (name) => this.emit({ kind: "worker", name }));
    this.django = new DjangoSources(options.tasksDb, options.beatDb);
    this.durableHistory = new DurableHistory(options.history, this.tasks, !options.redact, () => this.emit({ kind: "health" }));
    // Opened here, before anything reaches the store: a task the history knows is recalled from the first event.
    this.durableHistory.start();
    const live = new LiveTaskSource(this.tasks);
    const durable = this.durableHistory.source;
    this.taskSource = durable ? new ChainedTaskSource(live, durable) : live;
    this.backendReader = new BackendHistory({
      options,
      tasks: this.tasks,
      workers: this.workers,
      inspector: this.inspector,
      connectionLog: this.connectionLog,
      history: this.durableHistory,
      healthChanged: () => this.emit({ kind: "health" }),
    });
    this.broker.events.onEvent((e) => this.onEvent(e));
    this.broker.onStatus((s) => this.onBrokerStatus(s));
    this.tasks.onChange((task) => this.emit({ kind: "task", task }));
    this.diagnostics = new Diagnostics({
      broker: this.broker,
      tasks: this.tasks,
      workers: this.workers,
      inspector: this.inspector,
      observed: this.observed,
      waiting: this.waiting,
      brokerBindings: this.brokerBindings,
      transportOptions: { ...options.transportOptions },
      inspectTimeoutMs: options.inspectTimeoutMs,
      thresholds: { stuckAfterMs: options.stuckAfterMs, trendWindowMs: options.trendWindowMs },
      runningOn: (w) => this.runningOn(w),
    });
    this.metricsSampler = new MetricsSampler({
      broker: this.broker,
      tasks: this.tasks,
      workers: this.workers,
      inspector: this.inspector,
      brokerBindings: this.brokerBindings,
      metrics: this.metrics,
    });
  }

  /** The result backend, given or discovered from the workers (null until then). */
  get backend(): ResultBackend | null {
    return this.backendReader.backend;
  }

  /** The result backend keeps results only their caller can read (rpc://): its masked URL and why. */
  get unreadableBackend(): { url: string; reason: string } | null {
    return this.backendReader.unreadable;
  }

  /** Where the result backend URL came from. */
  get backendOrigin(): "option" | "workers" | null {
    return this.backendReader.origin;
  }

  get backfill(): BackfillState {
    return this.backendReader.backfill;
  }

  onChange(l: (c: AgentChange) => void): () => void {
    this.changeListeners.add(l);
    return () => this.changeListeners.delete(l);
  }

  private emit(c: AgentChange): void {
    for (const l of this.changeListeners) l(c);
  }

  private stopping = false;

  async start(): Promise<void> {
    await this.django.start();
    // The history's first start takes in django-celery-results' table, in the background.
    const table = this.django.tasks;
    if (table && this.options.history)
      void backfillFromDjango(this.durableHistory, table, this.options.history.retainMs, () => this.stopping).catch((e: Error) =>
        log("history.backfill_failed", `task history: backfill from ${table.description} stopped: ${e.message}`, {}, "warn"),
      );
    await this.broker.start();
    await this.backendReader.start();
    this.sweep.start();
    this.metricsSampler.start();
    if (this.broker.status().state === "connected") void this.afterBrokerConnected();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.connectionLog.stop();
    this.sweep.stop();
    this.metricsSampler.stop();
    this.poolProbe.stop();
    this.diagnostics.stop();
    await Promise.allSettled([this.broker.close(), this.backendReader.stop(), this.django.close()]);
    await this.durableHistory.stop();
  }

  private onEvent(e: CeleryEvent): void {
    this.lastEventAt = e.receivedAt;
    this.eventsReceived++;
    this.workers.applyEvent(e);
    this.poolProbe.heard(e);
    this.observed.apply(e);
    if (!e.type.startsWith("task-")) return;
    this.tasks.applyEvent(eventOnAgentClock(e, this.workers));
    this.queues.heardFrom(e.hostname);
  }

  private onBrokerStatus(s: ConnectionStatus): void {
    this.workers.setListening(s.state === "connected", s.since);
    this.connectionLog.status("broker", this.broker.description, s);
    this.emit({ kind: "health" });
    if (s.state === "connected") void this.afterBrokerConnected();
  }

  /** On every (re)connection: learn who should exist, and find the result backend if not given. */
  private async afterBrokerConnected(): Promise<void> {
    await this.refreshBindings(true).catch(() => undefined);
    await this.backendReader.brokerConnected();
  }

  /** Seeds the registry with workers holding a remote-control binding (cached for a few seconds). */
  async refreshBindings(force = false): Promise<void> {
    if (!force && Date.now() - this.bindingsReadAt < BINDINGS_FRESH_MS) return;
    if (this.broker.status().state !== "connected") return;
    this.bindingsReadAt = Date.now();
    this.workers.applyBindings(await this.broker.control.pidboxWorkers());
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

  brokerDescription(): string {
    return this.broker.description;
  }

  /** The broker's kind as users know it: "Redis", "RabbitMQ". */
  brokerKindName(): string {
    return transportName(this.broker.kind);
  }

  /** RabbitMQ's management API (--broker-api), masked; null when not given. */
  brokerApiDescription(): string | null {
    return this.options.brokerApi ? maskUrl(this.options.brokerApi.url) : null;
  }

  backendDescription(): string | null {
    return this.backendReader.description();
  }
}
