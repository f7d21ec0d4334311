/**
 * The diagnostics layer, running: builds the rules' snapshot (sources/diagnostics/snapshot.ts) from
 * the stores and the workers' held inspect replies, runs the rules, and keeps the findings current
 * while someone watches (an event stream) or has asked recently: recomputed within a second of a
 * change (a burst of changes makes one recompute), and each second besides (liveness and queue
 * depths change with no event). A recompute is made cheap for that: the task store is read again
 * only after a task changed (diagnostics-task-facts.ts), and the work yields to the event loop
 * between its pieces, so requests are answered in between rather than after it.
 * It also counts, per worker, results stored with no task event of them: the sign of events off.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { BrokerTransport, ExchangeBinding } from "../protocol/transport";
import type { TaskStore } from "../sources/tasks/store";
import type { WorkerRegistry } from "../sources/workers/registry";
import type { Inspector } from "../sources/workers/inspector";
import type { EventsObserved } from "../sources/config-observed";
import type { WaitingMessages } from "../sources/waiting";
import type { Cached } from "../sources/cache";
import type { DiagnosticSnapshot, DiagnosticThresholds, PeriodicFacts, QueueFacts, WorkerFacts, RunningTask } from "../sources/diagnostics/snapshot";
import type { Finding } from "../sources/diagnostics/finding";
import { findingKey } from "../sources/diagnostics/finding";
import { RULES, runRule } from "../sources/diagnostics/registry";
import { sortFindings } from "../sources/diagnostics/finding";
import { isPlumbing, readQueueDeclaration } from "../sources/queues";
import { isRecord } from "../protocol/envelope";
import { concurrencyOf, maxRssKb, oldestHeld, SampleRings, typicalRuntimes, unackedFacts, withDepthHistory } from "./diagnostics-history";
import { TaskFactsCache } from "./diagnostics-task-facts";

/**
 * A change is reflected this long after it at most: it schedules a recompute no sooner than this
 * after the last one started, so a burst of changes (a thousand task events a second) makes one.
 */
export const RECOMPUTE_MIN_MS = 750;
/** ...and findings are recomputed this often with no change, while someone watches. */
const TICK_MS = 1000;
/** Workers' stats and reserved tasks are asked for at most this often. */
const LOAD_ASK_MS = 10_000;
/** beat's entries are read again at most this often (a RedBeat scan, a database query). */
const PERIODIC_MS = 10_000;
/** A request for findings keeps them current for this long after. */
const INTEREST_MS = 60_000;
const CONF_ARGS = { with_defaults: true };

export interface DiagnosticsDeps {
  broker: BrokerTransport;
  tasks: TaskStore;
  workers: WorkerRegistry;
  inspector: Inspector;
  observed: EventsObserved;
  waiting: WaitingMessages;
  brokerBindings: Cached<ExchangeBinding[]>;
  transportOptions: Record<string, unknown>;
  inspectTimeoutMs: number;
  thresholds: DiagnosticThresholds;
  runningOn(worker: string): RunningTask[];
}

export interface FindingsState {
  findings: Finding[];
  /** Rules that threw, and why (their findings are missing). */
  failed: { rule: string; error: string }[];
  computedAt: number;
}

export class Diagnostics {
  private latest: FindingsState | null = null;
  private lastSnapshot: DiagnosticSnapshot | null = null;
  private signature = "";
  private readonly resultsWithoutEvents = new Map<string, { count: number; last: number }>();
  /** Queue depths and workers' max RSS over the last minutes: the trends some rules read. */
  private readonly depths = new SampleRings();
  private readonly rss = new SampleRings();
  private readonly listeners = new Set<(s: FindingsState) => void>();
  private timer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private inflight: Promise<FindingsState> | null = null;
  /**
   * beat's entries and the beat check, as the periodic view reads them: set by the HTTP layer
   * (handlers/periodic.ts reads them; this layer may not import it). Read at most every PERIODIC_MS.
   */
  periodicSource: (() => Promise<PeriodicFacts | null>) | null = null;
  private periodic: { at: number; facts: PeriodicFacts | null } = { at: 0, facts: null };
  private loadAskedAt = 0;
  private lastRun = 0;
  private interestUntil = 0;
  /** A task or worker changed since the last recompute started. */
  private dirty = true;
  private readonly taskFacts: TaskFactsCache;

  constructor(private readonly deps: DiagnosticsDeps) {
    this.taskFacts = new TaskFactsCache(deps.tasks);
    deps.tasks.onChange((t) => {
      // Finished, as the backend says, on a worker that sent no event of it (a task-sent event from
      // the client does not count: it says nothing of the worker's events).
      const finished = t.state === "SUCCESS" || t.state === "FAILURE";
      if (finished && t.fromBackend && t.worker !== null && !t.timeline.some((x) => x.source === "event" && x.hostname === t.worker)) {
        const r = this.resultsWithoutEvents.get(t.worker) ?? { count: 0, last: 0 };
        this.resultsWithoutEvents.set(t.worker, { count: r.count + 1, last: Date.now() });
      }
      this.changed();
    });
    deps.workers.onChange(() => this.changed());
  }

  /** Told of every new list of findings (a change in any finding), while subscribed. */
  onChange(l: (s: FindingsState) => void): () => void {
    this.listeners.add(l);
    this.keepCurrent();
    this.changed();
    return () => this.listeners.delete(l);
  }

  /** Recomputes each TICK_MS while someone watches or has asked recently, then stops. */
  private keepCurrent(): void {
    this.ticker ??= setInterval(() => {
      if (this.listeners.size || Date.now() <= this.interestUntil) return this.schedule();
      clearInterval(this.ticker!);
      this.ticker = null;
    }, TICK_MS);
    this.ticker.unref();
  }

  /** The last findings computed, if any (for a stream that just opened). */
  get last(): FindingsState | null {
    return this.latest;
  }

  /**
   * The findings, recomputed unless the last ones are recent: under RECOMPUTE_MIN_MS old, or under
   * TICK_MS with no change since (what changes with no event, liveness and depths, is read again then),
   * or kept current in the background (the tick, a recompute scheduled after a change): a request
   * then adds no recompute of its own and waits for none.
   */
  async current(): Promise<FindingsState> {
    this.interestUntil = Date.now() + INTEREST_MS;
    const age = this.latest ? Date.now() - this.latest.computedAt : Number.POSITIVE_INFINITY;
    const background = this.timer !== null || this.ticker !== null;
    if (age < (this.dirty ? RECOMPUTE_MIN_MS : TICK_MS) || (background && age < 2 * TICK_MS)) return this.latest!;
    this.keepCurrent();
    return this.run();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.ticker) clearInterval(this.ticker);
    this.timer = this.ticker = null;
    this.listeners.clear();
  }

  private changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** A recompute RECOMPUTE_MIN_MS after the last one started (now, if that is past); one at a time. */
  private schedule(): void {
    if (this.timer || (!this.listeners.size && Date.now() > this.interestUntil)) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.run().catch(() => undefined);
      },
      Math.max(0, this.lastRun + RECOMPUTE_MIN_MS - Date.now()),
    );
    this.timer.unref();
  }

  private run(): Promise<FindingsState> {
    this.inflight ??= this.compute().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async compute(): Promise<FindingsState> {
    this.lastRun = Date.now();
    this.dirty = false;
    const snap = await this.snapshot();
    this.lastSnapshot = snap;
    const findings: Finding[] = [];
    const failed: FindingsState["failed"] = [];
    for (const [name, rule] of Object.entries(RULES)) {
      // Between rule families, requests waiting are answered (a family over a thousand tasks takes a few ms).
      await yieldToLoop();
      const r = runRule(name, rule, snap);
      findings.push(...r.findings);
      if (r.failed) failed.push(r.failed);
    }
    const state = { findings: sortFindings(findings), failed, computedAt: snap.now };
    this.latest = state;
    // What a finding says, not when: sentences say "3 min ago" and evidence is stamped with the
    // time it was read, which would make every recomputation news.
    const signature = JSON.stringify(findings.map((f) => [findingKey(f), f.severity, f.evidence.map((e) => [e.what, e.value])]));
    if (signature !== this.signature) {
      this.signature = signature;
      for (const l of this.listeners) l(state);
    }
    return state;
  }

  /** The last recompute's snapshot if under `maxAgeMs` old (findings are as old), else a new one. */
  async recentSnapshot(maxAgeMs = RECOMPUTE_MIN_MS): Promise<DiagnosticSnapshot> {
    const last = this.lastSnapshot;
    return last && Date.now() - last.now < maxAgeMs ? last : this.snapshot();
  }

  /**
   * What the rules read, now. The workers' queues, registered names and settings come from their
   * held inspect replies; they are asked again (each method at most as often as the inspector's
   * freshness allows), waiting at most the inspect timeout, so a first request has them.
   */
  async snapshot(): Promise<DiagnosticSnapshot> {
    const { inspector, workers, tasks, broker } = this.deps;
    const asks = [inspector.read("active_queues"), inspector.read("registered"), inspector.read("conf", { args: CONF_ARGS })];
    // Live figures (prefetched tasks, memory) are broadcasts to every worker: asked only every LOAD_ASK_MS.
    if (Date.now() - this.loadAskedAt >= LOAD_ASK_MS) {
      this.loadAskedAt = Date.now();
      asks.push(inspector.read("stats"), inspector.read("reserved"));
    }
    await Promise.race([Promise.allSettled(asks), new Promise((r) => setTimeout(r, this.deps.inspectTimeoutMs + 100).unref())]);
    const now = Date.now();
    const workerFacts = workers.all().map((w) => this.workerFacts(w.name));
    this.rss.retain(new Set(workerFacts.map((w) => w.name)));
    const [queues, unacked, periodic] = await Promise.all([
      this.queueFacts(workerFacts),
      unackedFacts(broker.status().state === "connected" ? (broker.queues?.unackedReader ?? null) : null),
      this.readPeriodic(now),
    ]);
    await yieldToLoop();
    const stored = this.taskFacts.read(now);
    const w = this.deps.waiting.last();
    return {
      now,
      thresholds: this.deps.thresholds,
      brokerKind: broker.kind,
      workers: workerFacts,
      queues,
      waitingTasks: stored.waiting,
      sentEventsFrom: [...this.deps.observed.taskSentFrom.keys()],
      tasksReceived: this.deps.observed.taskReceived.count,
      agentTransportOptions: this.deps.transportOptions,
      waitingRead: w.readAt !== null ? { read: w.read, messages: w.messages, truncated: w.truncated, at: w.readAt } : null,
      unacked,
      lostTasks: stored.lost,
      oldestHeld: oldestHeld(tasks),
      typicalRuntime: typicalRuntimes(
        tasks,
        workerFacts.flatMap((x) => x.running),
        now,
      ),
      periodic,
    };
  }

  private async readPeriodic(now: number): Promise<PeriodicFacts | null> {
    if (!this.periodicSource || now - this.periodic.at < PERIODIC_MS) return this.periodic.facts;
    const facts = await this.periodicSource().catch(() => null);
    this.periodic = { at: now, facts };
    return facts;
  }

  private workerFacts(name: string): WorkerFacts {
    const { workers, inspector, observed } = this.deps;
    const w = workers.get(name)!;
    const l = workers.liveness(w);
    const aq = inspector.latest("active_queues", name)?.value;
    const reg = inspector.latest("registered", name)?.value;
    const conf = inspector.latest("conf", name, CONF_ARGS)?.value;
    const stats = inspector.latest("stats", name);
    const reserved = inspector.latest("reserved", name)?.value;
    const rss = maxRssKb(stats?.value);
    if (stats && rss !== null) this.rss.add(name, stats.at, rss);
    const heard = Math.max(w.lastHeartbeat ?? 0, w.lastAnswerAt ?? 0, w.lastTaskEventAt ?? 0);
    return {
      name,
      status: l.status,
      busy: l.busy,
      detail: l.detail,
      heard: !w.bindingOnly || w.lastAnswerAt !== null,
      lastHeard: heard || null,
      offlineAt: w.offlineAt,
      pid: w.pid,
      restartedAt: w.restartedAt,
      clockSkew: w.clockSkew,
      queues: Array.isArray(aq) ? aq.flatMap((q) => (isRecord(q) && typeof q.name === "string" ? [q.name] : [])) : null,
      // Celery's reply may follow a name with its attributes ("app.add [rate_limit=10/s]").
      registered: Array.isArray(reg) ? reg.map((r) => String(r).split(" ")[0]!) : null,
      sendsTaskEvents: observed.taskEventsFrom.has(name),
      resultsWithoutEvents: this.resultsWithoutEvents.get(name) ?? null,
      conf: isRecord(conf) ? conf : null,
      running: this.deps.runningOn(name),
      reserved: Array.isArray(reserved) ? reserved.length : null,
      concurrency: concurrencyOf(stats?.value),
      maxRss: this.rss.get(name),
    };
  }

  /** Every task queue named by the broker's bindings, the workers or task_queues, with its depth. */
  private async queueFacts(workers: WorkerFacts[]): Promise<QueueFacts[]> {
    const { broker, brokerBindings } = this.deps;
    const names = new Set<string>();
    const connected = broker.status().state === "connected";
    for (const b of connected ? await brokerBindings.get().catch(() => []) : []) if (!isPlumbing(b.exchange, b.queue)) names.add(b.queue);
    for (const w of workers) {
      for (const q of w.queues ?? []) names.add(q);
      const declared = w.conf?.task_queues;
      for (const d of Array.isArray(declared) ? declared : []) {
        const q = readQueueDeclaration(d);
        if (q) names.add(q.name);
      }
    }
    const sorted = [...names].sort();
    const depths = broker.queues && connected ? await broker.queues.queueDepths(sorted).catch(() => null) : null;
    const counted = sorted.map((name) => ({ name, messages: depths?.get(name)?.messages ?? null }));
    return withDepthHistory(counted, this.depths, this.deps.tasks, Date.now(), this.deps.thresholds.trendWindowMs);
  }
}
