/**
 * Every worker the agent knows of, alive or not, from worker events (liveness), remote-control
 * bindings (who should exist) and inspect replies. Liveness is judged on the agent's own clock
 * (when a heartbeat arrived), so a worker with a skewed clock is not declared dead.
 */
import type { CeleryEvent } from "../../protocol/events";
import { num, str } from "../../protocol/events";
import { busyReason, heartbeatsWhileBusy, suspicion } from "./busy";
import { Deafness } from "./deafness";

export interface WorkerState {
  name: string;
  lastHeartbeat: number | null;
  /** Worker-side timestamp of the last event, for the clock-skew estimate. */
  lastEventTimestamp: number | null;
  freq: number;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  swVer: string | null;
  swIdent: string | null;
  swSys: string | null;
  pid: number | null;
  /** Seconds the worker's clock runs ahead of the agent's (median of recent events). */
  clockSkew: number | null;
  /** Its events' `utcoffset`: hours west of UTC of its time zone (Python's time.timezone / 3600). */
  utcoffset: number | null;
  offlineAt: number | null;
  onlineAt: number | null;
  lastAnswerAt: number | null;
  /** A task event from the worker proves it alive too (Celery's own State counts it as a heartbeat). */
  lastTaskEventAt: number | null;
  /** Seen only as a remote-control binding so far. */
  bindingOnly: boolean;
  /** When a new process took over this name (its pid changed), on the agent's clock. */
  restartedAt: number | null;
}

export interface Liveness {
  status: "online" | "offline";
  busy: boolean;
  detail: string | null;
}

/** What the registry needs to know about a worker's tasks to tell busy from dead. */
export interface RunningTaskLookup {
  running(worker: string): { id: string; name: string | null; started: number | null }[];
  /** How long a task of this name usually runs (p95, seconds), when enough of them did. */
  typicalRuntime?(name: string): number | null;
  /** How long a task must run before its silent worker may be suspect (ms, --stuck-after). */
  suspectAfterMs?: number;
}

const DEFAULT_FREQ = 2;
const SKEW_SAMPLES = 9;
/**
 * From this much measured skew on, a worker's event times are corrected by it. Below, the
 * measurement is mostly delivery delay, and correcting by it would only add noise.
 */
export const SKEW_CORRECTED_FROM = 1;

export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerState>();
  private readonly skewSamples = new Map<string, number[]>();
  private readonly listeners: ((w: WorkerState) => void)[] = [];
  private readonly restartListeners: ((w: WorkerState, oldPid: number) => void)[] = [];
  /** Pool kind per worker, from stats (a solo worker goes quiet while busy). */
  readonly pools = new Map<string, string>();

  /** When the agent could not hear the broker: silence then says nothing about the workers. */
  private readonly deafness = new Deafness();

  /** When the agent started listening: before the first heartbeats can have come, silence means nothing yet. */
  private readonly startedAt: number;

  constructor(
    private readonly tasks: RunningTaskLookup,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** The agent stopped (false) or started again (true) hearing the broker (see Deafness). */
  setListening(listening: boolean, at: number = this.now()): void {
    this.deafness.setListening(listening, at);
  }

  /** When a worker was last heard, the agent hearing again counting as a fresh start (see Deafness). */
  private lastHeard(w: WorkerState): number {
    return this.deafness.lastHeard(Math.max(w.lastHeartbeat ?? 0, w.lastAnswerAt ?? 0, w.lastTaskEventAt ?? 0), w.freq * 2 * 1000);
  }

  onChange(l: (w: WorkerState) => void): void {
    this.listeners.push(l);
  }

  /** A new process took over a worker's name: called before its first event is applied. */
  onRestart(l: (w: WorkerState, oldPid: number) => void): void {
    this.restartListeners.push(l);
  }

  all(): WorkerState[] {
    return [...this.workers.values()];
  }

  get(name: string): WorkerState | undefined {
    return this.workers.get(name);
  }

  private ensure(name: string): WorkerState {
    let w = this.workers.get(name);
    if (!w) {
      w = {
        name,
        lastHeartbeat: null,
        lastEventTimestamp: null,
        freq: DEFAULT_FREQ,
        active: null,
        processed: null,
        loadavg: null,
        swVer: null,
        swIdent: null,
        swSys: null,
        pid: null,
        clockSkew: null,
        utcoffset: null,
        offlineAt: null,
        onlineAt: null,
        lastAnswerAt: null,
        lastTaskEventAt: null,
        bindingOnly: true,
        restartedAt: null,
      };
      this.workers.set(name, w);
    }
    return w;
  }

  applyEvent(e: CeleryEvent): void {
    // task-sent comes from whoever sent the task (a web process, beat), not from a worker.
    if (e.type === "task-sent") return;
    const w = this.ensure(e.hostname);
    if (this.isRestart(w, e)) this.restarted(w, e);
    w.bindingOnly = false;
    w.lastEventTimestamp = e.timestamp;
    w.utcoffset = e.utcoffset ?? w.utcoffset;
    this.sampleSkew(w, e);
    if (e.type.startsWith("task-")) {
      w.lastTaskEventAt = e.receivedAt;
      this.notify(w);
      return;
    }
    const f = e.fields;
    w.freq = num(f.freq) ?? w.freq;
    w.active = num(f.active) ?? w.active;
    w.processed = num(f.processed) ?? w.processed;
    w.loadavg = Array.isArray(f.loadavg) ? f.loadavg.filter((x): x is number => typeof x === "number") : w.loadavg;
    w.swVer = str(f.sw_ver) ?? w.swVer;
    w.swIdent = str(f.sw_ident) ?? w.swIdent;
    w.swSys = str(f.sw_sys) ?? w.swSys;
    w.pid = e.pid ?? w.pid;
    if (e.type === "worker-offline") {
      w.offlineAt = e.receivedAt;
    } else {
      if (e.type === "worker-online") w.onlineAt = e.receivedAt;
      w.lastHeartbeat = e.receivedAt;
      w.offlineAt = null;
    }
    this.notify(w);
  }

  /**
   * A worker event (task events carry the pid of whichever process sent them) from another pid: a
   * new process, if it says it just came online, or if the old one had gone quiet. Two live
   * processes sharing a name (a misconfiguration Celery warns about) alternate pids every
   * heartbeat: that is not a restart each time.
   */
  private isRestart(w: WorkerState, e: CeleryEvent): boolean {
    if (e.type.startsWith("task-") || e.pid === null || w.pid === null || e.pid === w.pid) return false;
    return e.type === "worker-online" || w.lastHeartbeat === null || e.receivedAt - w.lastHeartbeat > w.freq * 1000;
  }

  /** Same name, new process: what the old one reported (counters, clock, pool) is no longer true. */
  private restarted(w: WorkerState, e: CeleryEvent): void {
    const oldPid = w.pid!;
    w.restartedAt = e.receivedAt;
    w.active = null;
    w.processed = null;
    w.loadavg = null;
    w.clockSkew = null;
    w.offlineAt = null;
    this.skewSamples.delete(w.name);
    this.pools.delete(w.name);
    w.pid = e.pid;
    for (const l of this.restartListeners) l(w, oldPid);
  }

  /**
   * Seconds to take off a worker's event timestamps to put them on the agent's clock: its measured
   * skew when that is large enough to be a wrong clock rather than delivery delay, else 0.
   */
  skewCorrection(name: string): number {
    const skew = this.workers.get(name)?.clockSkew ?? null;
    return skew !== null && Math.abs(skew) >= SKEW_CORRECTED_FROM ? skew : 0;
  }

  /** Workers holding a remote-control binding: they exist (or existed) even if never heard from. */
  applyBindings(names: string[]): void {
    for (const n of names) this.ensure(n);
  }

  /** A worker answered a remote-control request: alive at that moment. */
  answered(name: string, at: number): void {
    const w = this.ensure(name);
    w.lastAnswerAt = at;
    if (w.bindingOnly) this.notify(w);
  }

  setPool(name: string, pool: string | null): void {
    if (pool) this.pools.set(name, pool);
  }

  private sampleSkew(w: WorkerState, e: CeleryEvent): void {
    if (e.type !== "worker-heartbeat" && e.type !== "worker-online") return;
    const samples = this.skewSamples.get(w.name) ?? [];
    samples.push(e.timestamp - e.receivedAt / 1000);
    if (samples.length > SKEW_SAMPLES) samples.shift();
    this.skewSamples.set(w.name, samples);
    const sorted = [...samples].sort((a, b) => a - b);
    w.clockSkew = Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000;
  }

  private notify(w: WorkerState): void {
    for (const l of this.listeners) l(w);
  }

  /**
   * Celery's rule (no heartbeat for 2 x freq means offline), refined: a worker running a task is not
   * dead when its pool is solo, or not known yet (events never say it; stats is asked at once, but
   * a solo worker busy from its first second cannot answer). A known non-solo pool heartbeats while
   * its tasks run, so there silence still means dead.
   */
  liveness(w: WorkerState): Liveness {
    const now = this.deafness.judgedAt(this.now());
    const window = w.freq * 2 * 1000;
    if (w.offlineAt !== null && !this.deafness.restartingAfterOutage(w.offlineAt, now))
      return { status: "offline", busy: false, detail: "shut down (sent worker-offline)" };
    const heard = this.lastHeard(w);
    if (heard && now - heard <= window) {
      const deafSince = this.deafness.since();
      return {
        status: "online",
        busy: false,
        detail: deafSince === null ? null : `as last known: the agent has not heard the broker since ${new Date(deafSince).toISOString()}`,
      };
    }
    const running = this.tasks.running(w.name);
    const pool = this.pools.get(w.name) ?? (running.length && heartbeatsWhileBusy(w, running) ? "not solo" : null);
    if (running.length && (pool === null || pool === "solo")) {
      const t = running[0]!;
      return {
        status: "online",
        busy: true,
        detail: `busy running ${t.name ?? "a task"} (${t.id})${busyReason(pool, !!heard)}${suspicion(t, now, (name) => this.tasks.typicalRuntime?.(name) ?? null, this.tasks.suspectAfterMs)}`,
      };
    }
    if (!heard) return { status: "offline", busy: false, detail: "has a remote-control binding but has not been heard from" };
    const secs = Math.round((now - heard) / 1000);
    return { status: "offline", busy: false, detail: `no heartbeat for ${secs} s (expected every ${w.freq} s)` };
  }

  /**
   * Workers a broadcast should wait for: online, not busy, and not overdue. A worker whose heartbeat
   * is late by half an interval is still online (Celery's rule allows two), but it may be dead (a
   * SIGKILL looks like this for the first seconds): it is still asked, just not waited for, so one
   * dead worker does not hold every request to the full timeout.
   */
  responsive(): Set<string> {
    const out = new Set<string>();
    const now = this.deafness.judgedAt(this.now());
    // Right after the agent starts, the workers known only by their remote-control binding are the
    // best guess of who is alive: waited for, so the first request returns when they have answered
    // rather than after the whole timeout (a stale binding of a dead worker costs that timeout once).
    const warmingUp = now - this.startedAt < DEFAULT_FREQ * 1000 * 1.5;
    for (const w of this.workers.values()) {
      if (warmingUp && w.bindingOnly && w.lastAnswerAt === null) {
        out.add(w.name);
        continue;
      }
      const l = this.liveness(w);
      if (l.status !== "online" || l.busy) continue;
      if (now - this.lastHeard(w) <= w.freq * 1.5 * 1000) out.add(w.name);
    }
    return out;
  }
}
