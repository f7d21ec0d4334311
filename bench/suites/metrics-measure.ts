/**
 * The metrics section's measurements, in this process only (run pinned to one core, with
 * --expose-gc, by suites/metrics.ts); prints JSON:
 *   node --expose-gc --import tsx bench/suites/metrics-measure.ts <quick 0|1>
 * - memory: the figures of 1,000 task names filled for 24 hours of minutes (10 tasks a minute each:
 *   sent, received, started, succeeded or failed, 1 % retried, a runtime and a wait, from log-normal
 *   distributions of a median per name), heap + array buffers after minus before, after full GCs;
 * - ingest: task events through TaskStore.applyEvent, the store's observer (the figures) on and off in
 *   alternate runs, each run into a fresh store;
 * - queries: metrics/tasks for one name and for all names over 24 h (the handler's own function);
 * - /metrics with 1,000 names and 1,000 queues (the prom-client registry of handlers/prometheus.ts).
 */
import type { CeleryEvent } from "../../agent/protocol/events";
import type { Ctx } from "../../agent/handlers/context";
import { metricsTasks } from "../../agent/handlers/metrics";
import { prometheusText } from "../../agent/handlers/prometheus";
import { PerAgentState } from "../../agent/runtime/per-agent-state";
import { MetricsStore } from "../../agent/sources/metrics/store";
import { observeChange } from "../../agent/sources/metrics/transitions";
import { TaskStore } from "../../agent/sources/tasks/store";

const quick = process.argv[2] === "1";
const gc = (globalThis as { gc?: () => void }).gc!;
const NAMES = 1000;
const MINUTES = 24 * 60;
const PER_MINUTE = quick ? 2 : 10;

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}
/** Log-normal around `median` (sigma 0.5): Box-Muller on the generator. */
const logNormal = (next: () => number, median: number) => median * Math.exp(0.5 * Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()));
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** 1,000 names x 24 h of minutes, fed through the figures' own entry points (what transitions.ts calls). */
function fill(store: MetricsStore, now: number): void {
  const next = random(42);
  const medians = Array.from({ length: NAMES }, () => 10 ** (next() * 4 - 2));
  const names = Array.from({ length: NAMES }, (_, i) => `app.tasks.module_${i % 40}.task_${i}`);
  const queues = ["celery", "media", "reports", "mail"];
  const first = now - MINUTES * 60_000;
  for (let m = 0; m < MINUTES; m++) {
    const t = first + m * 60_000;
    for (let i = 0; i < NAMES; i++) {
      const name = names[i]!;
      const queue = queues[i % 4]!;
      for (let k = 0; k < PER_MINUTE; k++) {
        const at = t + k * 1000;
        store.count(name, queue, "sent", at);
        store.count(name, queue, "received", at);
        store.count(name, queue, "started", at);
        store.wait(name, queue, logNormal(next, 0.05), at, true);
        store.count(name, queue, next() < 0.9 ? "succeeded" : "failed", at);
        if (next() < 0.01) store.count(name, queue, "retried", at);
        store.runtime(name, queue, `w${i % 8}@host`, logNormal(next, medians[i]!), at);
      }
    }
  }
}

function memory(now: number): { mb: number[]; typedMb: number } {
  const mb: number[] = [];
  let typedMb = 0;
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const before = heap();
    let store: MetricsStore | null = new MetricsStore();
    fill(store, now);
    mb.push((heap() - before) / 2 ** 20);
    typedMb = store.bytes / 2 ** 20;
    store = null;
  }
  return { mb, typedMb };
}

/** 4 events per task (sent, received, started, succeeded), 200 names, times advancing 1 ms a task. */
function events(count: number, now: number): CeleryEvent[] {
  const out: CeleryEvent[] = [];
  const ev = (type: string, uuid: string, at: number, fields: Record<string, unknown>): CeleryEvent => ({
    type,
    hostname: "w1@host",
    timestamp: at / 1000,
    receivedAt: at,
    utcoffset: 0,
    clock: null,
    pid: 1,
    fields: { type, uuid, hostname: "w1@host", timestamp: at / 1000, ...fields },
  });
  const start = now - count * 2;
  for (let i = 0; out.length < count; i++) {
    const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
    const at = start + i * 2;
    out.push(ev("task-sent", id, at, { name: `app.task_${i % 200}`, queue: "celery" }));
    out.push(ev("task-received", id, at + 1, { name: `app.task_${i % 200}` }));
    out.push(ev("task-started", id, at + 2, {}));
    out.push(ev("task-succeeded", id, at + 3, { runtime: 0.001 + (i % 7) / 1000 }));
  }
  return out;
}

function ingest(now: number): { on: number[]; off: number[] } {
  const stream = events(quick ? 80_000 : 200_000, now);
  const rate = (withFigures: boolean) => {
    const store = new TaskStore(100_000);
    const metrics = new MetricsStore();
    if (withFigures) store.observer = (t, before) => observeChange(metrics, t, before, now);
    const t0 = performance.now();
    for (const e of stream) store.applyEvent(e);
    return stream.length / ((performance.now() - t0) / 1000);
  };
  rate(true);
  rate(false);
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    gc();
    on.push(rate(true));
    gc();
    off.push(rate(false));
  }
  return { on, off };
}

function time(fn: () => unknown, runs: number): number[] {
  fn();
  return Array.from({ length: runs }, () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  });
}

async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Just what the metrics handlers and the registry read of an agent. */
function fakeAgent(store: MetricsStore, queues: number): Ctx {
  for (let q = 0; q < queues; q++) {
    const byPriority = [0, 3, 6, 9].map((priority) => ({ priority, messages: (q * 7 + priority) % 50 }));
    store.queueSamples.add(`queue_${q}`, {
      at: Date.now(),
      messages: byPriority.reduce((n, p) => n + p.messages, 0),
      byPriority,
      unacked: q % 5,
      consumers: 2,
      oldestAge: q % 90,
    });
  }
  const ctx = {
    metrics: store,
    workers: { all: () => [], liveness: () => ({ status: "online" }) },
    broker: { status: () => ({ state: "connected" }), events: { rejected: () => ({}) } },
    backend: null,
    eventsReceived: 0,
    tasks: { size: 0 },
    metricsSampler: { lastSampleAt: Date.now() },
  } as unknown as Ctx;
  (ctx as { state: PerAgentState<Ctx> }).state = new PerAgentState<Ctx>(ctx);
  return ctx;
}

async function main(): Promise<void> {
  const now = Date.now();
  const mem = memory(now);
  const { on, off } = ingest(now);
  const store = new MetricsStore();
  fill(store, Date.now());
  const ctx = fakeAgent(store, 1000);
  const oneName = time(() => metricsTasks(ctx, { name: "app.tasks.module_7.task_7", window: "24h" }), quick ? 20 : 100);
  const allNames = time(() => metricsTasks(ctx, { window: "24h" }), quick ? 3 : 10);
  let bytes = 0;
  const scrape = await timeAsync(
    async () => {
      bytes = (await prometheusText(ctx)).text.length;
    },
    quick ? 5 : 30,
  );
  process.stdout.write(JSON.stringify({ mem, on, off, oneName, allNames, scrape, scrapeBytes: bytes, perMinute: PER_MINUTE }));
}

void main();
