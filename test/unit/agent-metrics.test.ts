// The metrics' building blocks (agent/sources/metrics/): log-bucketed histograms (accuracy, merging),
// the per-minute rings (rollover, counts past 16 bits), failure message normalisation, the
// window/step parser, and the task store's changes counted once per task and run.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MetricsTaskQuerySchema } from "../../agent/api/schema";
import type { CeleryEvent } from "../../agent/protocol/events";
import type { TaskMeta } from "../../agent/protocol/result-meta";
import { exceptionParts, normaliseMessage } from "../../agent/sources/metrics/failure-groups";
import { HistogramRing } from "../../agent/sources/metrics/histogram-ring";
import { binOf, DenseHistogram, RELATIVE_ERROR, readBin } from "../../agent/sources/metrics/log-bins";
import { MinuteColumns, MINUTES } from "../../agent/sources/metrics/minute-columns";
import { readFigures } from "../../agent/sources/metrics/read";
import { MetricsStore } from "../../agent/sources/metrics/store";
import { observeChange } from "../../agent/sources/metrics/transitions";
import { TaskStore } from "../../agent/sources/tasks/store";

/** A deterministic pseudo-random sequence (the tests must not vary run to run). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
const within = (got: number | null, want: number, what: string) =>
  assert.ok(got !== null && Math.abs(got - want) <= want * RELATIVE_ERROR * 1.0001, `${what}: ${got} vs ${want}`);

describe("metrics histograms", () => {
  test("every value reads back within the relative error", () => {
    const next = random(1);
    for (let i = 0; i < 5000; i++) {
      const v = 10 ** (next() * 8 - 3);
      within(readBin(binOf(v)), v, `value ${v}`);
    }
    assert.equal(readBin(binOf(0)), 0);
  });

  test("percentiles within the error, and merging equals one histogram of every value", () => {
    const next = random(7);
    const values = Array.from({ length: 20_000 }, () => Math.exp(next() * 6 - 4));
    const whole = new DenseHistogram();
    const [a, b] = [new DenseHistogram(), new DenseHistogram()];
    values.forEach((v, i) => {
      whole.add(binOf(v), 1);
      (i % 3 ? a : b).add(binOf(v), 1);
    });
    const merged = new DenseHistogram();
    for (const h of [a, b])
      h.counts.forEach((n, bin) => {
        if (n) merged.add(bin, n);
      });
    const sorted = [...values].sort((x, y) => x - y);
    for (const q of [0.5, 0.95, 0.99]) {
      within(whole.quantile(q), exactQuantile(sorted, q), `p${q * 100}`);
      assert.equal(merged.quantile(q), whole.quantile(q));
    }
  });

  test("a ring keeps each period's bins, grows its regions, and forgets periods a whole ring old", () => {
    const ring = new HistogramRing(60, 1);
    const next = random(3);
    const added: number[][] = Array.from({ length: 60 }, () => []);
    for (let i = 0; i < 20_000; i++) {
      const minute = 1000 + Math.floor(next() * 60);
      const v = 10 ** (next() * 6 - 3);
      ring.add(minute, binOf(v), i % 2 === 0);
      added[minute - 1000]!.push(v);
    }
    for (const minute of [1000, 1030, 1059]) {
      const h = new DenseHistogram();
      ring.mergeInto(h, minute, minute + 1);
      const sorted = added[minute - 1000]!.sort((x, y) => x - y);
      assert.equal(h.total, sorted.length);
      within(h.quantile(0.5), exactQuantile(sorted, 0.5), `minute ${minute} p50`);
    }
    const all = new DenseHistogram();
    const fromSent = ring.mergeInto(all, 1000, 1060);
    assert.equal(all.total, 20_000);
    assert.equal(fromSent, 10_000);
    // 30 minutes later, the first 30 minutes are gone; the rest stay.
    ring.add(1089, binOf(1), false);
    const later = new DenseHistogram();
    ring.mergeInto(later, 1000, 1090);
    assert.equal(later.total, added.slice(30).reduce((n, m) => n + m.length, 0) + 1);
  });
});

describe("metrics minute columns", () => {
  test("sums, counts past 65,535 in a minute, and rollover after 24 hours", () => {
    const c = new MinuteColumns([false, true]);
    c.add(5000, 0, 70_000);
    c.add(5000, 0, 1);
    c.add(5001, 0, 2);
    c.add(5001, 1, 100_000);
    assert.equal(c.get(5000, 0), 70_001);
    assert.equal(c.sum(5000, 5002, 0), 70_003);
    assert.equal(c.sum(5001, 5002, 1), 100_000);
    // A day later the same slots hold new minutes: the old counts are gone, too-old minutes refused.
    assert.equal(c.add(5000 + MINUTES, 0, 1), true);
    assert.equal(c.get(5000, 0), 0);
    assert.equal(c.get(5000 + MINUTES, 0), 1);
    assert.equal(c.sum(5000, 5000 + MINUTES + 1, 0), 3);
    assert.equal(c.add(5000, 0, 1), false);
  });
});

describe("failure normalisation", () => {
  test("messages differing in numbers, ids, quoted values and paths are one pattern", () => {
    const a = normaliseMessage("order 1234 for user 'alice' not found in /srv/data/orders.db (id 6f1c2d3e-0000-4000-8000-1234567890ab, ptr 0xdeadbeef)");
    const b = normaliseMessage('order 98 for user "bob" not found in /var/lib/x/y.db (id 0a1b2c3d-4e5f-4000-8000-abcdefabcdef, ptr 0x1f)');
    assert.equal(a, b);
    assert.equal(a, "order <num> for user <str> not found in <path> (id <uuid>, ptr <hex>)");
    assert.notEqual(normaliseMessage("connection refused"), normaliseMessage("connection reset"));
  });

  test("exception parts from the backend's fields or the event's repr", () => {
    assert.deepEqual(exceptionParts("KeyError", "'x'", null), { type: "KeyError", message: "'x'" });
    assert.deepEqual(exceptionParts(null, null, "ValueError('bad 12')"), { type: "ValueError", message: "bad 12" });
    assert.equal(exceptionParts(null, null, null), null);
  });
});

describe("window and step", () => {
  const parse = (q: Record<string, string>) => MetricsTaskQuerySchema.safeParse(q);
  test("durations, defaults and clear refusals", () => {
    assert.deepEqual(parse({ window: "6h", step: "10m" }).data, { window: 21_600, step: 600 });
    assert.deepEqual(parse({}).data, { window: 3600, step: 60 });
    assert.equal(parse({ window: "24h" }).data?.step, 900);
    const refusal = (q: Record<string, string>) => {
      const r = parse(q);
      assert.equal(r.success, false);
      const i = r.error!.issues[0]!;
      return `${i.path.join(".")}: ${i.message}`;
    };
    assert.match(refusal({ window: "1h", step: "7m" }), /^step: .*does not divide/);
    assert.match(refusal({ window: "2d" }), /^window: at most 24h/);
    assert.match(refusal({ window: "24h", step: "30s" }), /^step: must be a whole number of minutes/);
    assert.match(refusal({ window: "soon" }), /^window: "soon" is not a duration/);
    assert.match(refusal({ window: "25h", step: "1m" }), /^window/);
  });
});

describe("task changes counted once", () => {
  const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  const ev = (type: string, uuid: string, at: number, fields: Record<string, unknown> = {}): CeleryEvent => ({
    type,
    hostname: "w1@host",
    timestamp: at / 1000,
    receivedAt: at,
    utcoffset: 0,
    clock: null,
    pid: 1,
    fields: { type, uuid, hostname: "w1@host", timestamp: at / 1000, ...fields },
  });

  function fed(): { store: TaskStore; metrics: MetricsStore } {
    const store = new TaskStore(1000);
    const metrics = new MetricsStore();
    store.observer = (t, before) => observeChange(metrics, t, before, Date.now());
    return { store, metrics };
  }

  test("duplicates and backend records do not count again; retries count each run", () => {
    const { store, metrics } = fed();
    const run = (_id: string, events: CeleryEvent[]) => {
      for (const e of events) store.applyEvent(e);
    };
    run("a", [
      ev("task-sent", "a", T0, { name: "t.add", queue: "q1" }),
      ev("task-received", "a", T0 + 1000, { name: "t.add" }),
      ev("task-received", "a", T0 + 1000, { name: "t.add" }),
      ev("task-started", "a", T0 + 3000),
      ev("task-succeeded", "a", T0 + 3500, { runtime: 0.5 }),
      ev("task-succeeded", "a", T0 + 3500, { runtime: 0.5 }),
    ]);
    const meta: TaskMeta = {
      taskId: "a",
      status: "SUCCESS",
      result: 1,
      traceback: null,
      children: [],
      dateDone: T0 + 3600,
      name: "t.add",
      args: [],
      kwargs: {},
      worker: "w1@host",
      retries: 0,
      queue: "q1",
      parentId: null,
      rootId: null,
      seenAt: T0 + 3600,
    };
    store.applyMeta(meta);
    store.applyMeta(meta);
    run("b", [
      ev("task-received", "b", T0 + 1000, { name: "t.add" }),
      ev("task-started", "b", T0 + 2000),
      ev("task-retried", "b", T0 + 2100, { exception: "ValueError('again 1')" }),
      ev("task-received", "b", T0 + 5000, { name: "t.add", retries: 1 }),
      ev("task-started", "b", T0 + 5200, { retries: 1 }),
      ev("task-failed", "b", T0 + 5300, { exception: "ValueError('order 12 failed')" }),
      // A late duplicate of the first run's retry (Celery lets RETRY through), then the failure again.
      ev("task-retried", "b", T0 + 5400, { exception: "ValueError('again 1')", retries: 0 }),
      ev("task-failed", "b", T0 + 5300, { exception: "ValueError('order 12 failed')" }),
    ]);
    const f = metrics.names.byKey.get("t.add")!;
    const minute = Math.floor(T0 / 60_000);
    const read = readFigures([f], minute, minute + 60, 0);
    assert.deepEqual(read.counts, { sent: 1, received: 3, started: 3, succeeded: 1, failed: 1, retried: 1, revoked: 0, lost: 0 });
    assert.equal(read.runtime.count, 2);
    within(read.runtime.p50, 0.1, "runtime p50");
    assert.equal(read.wait.count, 3);
    assert.equal(read.wait.basis, "mixed");
    assert.equal(metrics.queues.byKey.get("q1")!.totals[1], 1);
    const groups = metrics.failures.inWindow(minute, minute + 60);
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.group.pattern, "order <num> failed");
  });
});
