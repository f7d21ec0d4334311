// The diagnostics rules of the second step (agent/sources/diagnostics/): redelivery risk, queues not
// draining over time, lost or stuck work, prefetch hoarding and memory growth, on constructed snapshots.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { drainingFindings } from "../../agent/sources/diagnostics/draining";
import { redeliveryFindings } from "../../agent/sources/diagnostics/redelivery";
import { runRules } from "../../agent/sources/diagnostics/registry";
import { stuckWorkFindings } from "../../agent/sources/diagnostics/stuck";
import { workerLoadFindings } from "../../agent/sources/diagnostics/worker-load";
import { NOW, queue, snapshot, task, tev, worker } from "./helpers/diagnostics";

const kinds = (fs: { kind: string; subject: { id: string } }[]) => fs.map((f) => `${f.kind}:${f.subject.id}`);
const MIN = 60_000;

describe("redelivery risk", () => {
  const conf = { broker_transport_options: { visibility_timeout: 60 } };

  test("unacknowledged past the visibility_timeout in force, per queue, with the setting", () => {
    const snap = snapshot({
      workers: [worker("w1@host", { conf })],
      unacked: {
        total: 3,
        complete: true,
        queues: [
          { queue: "celery", count: 2, oldest: NOW - 5 * MIN },
          { queue: "fresh", count: 1, oldest: NOW - 10_000 },
        ],
      },
    });
    const found = redeliveryFindings(snap);
    assert.deepEqual(kinds(found), ["redelivery_risk:celery"]);
    assert.match(
      found[0]!.sentence,
      /2 unacknowledged messages, the oldest delivered 5 min ago, longer than the visibility_timeout of 60 s: they will be delivered again and run twice/,
    );
    assert.ok(found[0]!.evidence.some((e) => e.what === "visibility_timeout read from" && e.value === "broker_transport_options of w1@host"));
    // Not on a broker that does not redeliver on a timeout.
    assert.deepEqual(redeliveryFindings({ ...snap, brokerKind: "amqp" }), []);
  });

  test("an ETA task waiting longer than the timeout; Celery's default 3600 s when no worker says", () => {
    const eta = (ms: number) => new Date(NOW + ms).toISOString();
    const far = task("far", tev("task-sent", "far", 1000, { name: "app.add", queue: "q", eta: eta(2 * 3600_000) }));
    const near = task("near", tev("task-sent", "near", 1000, { name: "app.add", queue: "q", eta: eta(30 * MIN) }));
    const found = redeliveryFindings(snapshot({ waitingTasks: [far, near] }));
    assert.deepEqual(kinds(found), ["redelivery_risk:q"]);
    assert.match(found[0]!.sentence, /1 ETA task \(far\) waiting up to 2 h before due, longer than the visibility_timeout of 3600 s/);
    // A task of no known queue: said of the setting, not of a made-up queue.
    const nowhere = task("nowhere", tev("task-sent", "nowhere", 1000, { name: "app.add", eta: eta(2 * 3600_000) }));
    assert.deepEqual(kinds(redeliveryFindings(snapshot({ waitingTasks: [nowhere] }))), ["redelivery_risk:visibility_timeout"]);
    assert.equal(
      redeliveryFindings(
        snapshot({ waitingTasks: [far], workers: [worker("w1@host", { conf: { broker_transport_options: { visibility_timeout: 3 * 3600 } } })] }),
      ).length,
      0,
    );
  });
});

describe("queue not draining over time", () => {
  test("depth rising over minutes: rates in and out, never empties, time to empty were nothing sent", () => {
    const rising = queue(
      "busy",
      120,
      [
        [4 * MIN, 20],
        [3 * MIN, 45],
        [2 * MIN, 70],
        [MIN, 95],
      ],
      40,
    );
    const flat = queue(
      "flat",
      50,
      [
        [4 * MIN, 50],
        [2 * MIN, 52],
      ],
      100,
    );
    const dipped = queue(
      "dipped",
      30,
      [
        [4 * MIN, 10],
        [3 * MIN, 200],
        [2 * MIN, 20],
      ],
      10,
    );
    const brief = queue(
      "brief",
      100,
      [
        [20_000, 10],
        [10_000, 50],
      ],
      0,
    );
    const found = drainingFindings(
      snapshot({ queues: [rising, flat, dipped, brief], workers: [worker("w1@host", { queues: ["busy", "flat", "dipped", "brief"] })] }),
    );
    assert.deepEqual(kinds(found), ["queue_not_draining:busy"]);
    // 100 more in 4 min, 40 taken: 35 a minute in, 10 out; 120 left at 10 a minute.
    assert.match(
      found[0]!.sentence,
      /grew from 20 to 120 messages in 4 min \(about 35 a minute in, 10 out\): at this rate it never empties; were nothing more sent, its consumers would take 12 min/,
    );
  });

  test("--trend-window: a rise over 20 s is a trend once the window is 15 s, not with the default minute", () => {
    const brief = queue(
      "brief",
      100,
      [
        [20_000, 10],
        [10_000, 50],
      ],
      20,
    );
    const workers = [worker("w1@host", { queues: ["brief"] })];
    assert.deepEqual(drainingFindings(snapshot({ queues: [brief], workers })), []);
    const found = drainingFindings(snapshot({ queues: [brief], workers, thresholds: { stuckAfterMs: MIN, trendWindowMs: 15_000 } }));
    assert.deepEqual(kinds(found), ["queue_not_draining:brief"]);
    // 90 more and 20 taken in 20 s: 330 a minute in, 60 out.
    assert.match(found[0]!.sentence, /grew from 10 to 100 messages in 20 s \(about 330 a minute in, 60 out\)/);
  });

  test("a queue watched empty for minutes before it filled: measured over its rise, not the quiet minutes", () => {
    const filled = queue(
      "late",
      60,
      [
        [8 * MIN, 0],
        [6 * MIN, 0],
        [4 * MIN, 0],
        [2 * MIN, 0],
        [MIN, 30],
      ],
      30,
    );
    const found = drainingFindings(snapshot({ queues: [filled], workers: [worker("w1@host", { queues: ["late"] })] }));
    // From its last empty sample: 60 in and 30 taken in 2 min, not in 8.
    assert.match(found[0]!.sentence, /grew from 0 to 60 messages in 2 min \(about 45 a minute in, 15 out\).* would take 4 min/);
    assert.ok(found[0]!.evidence.some((e) => e.what === "messages then" && e.at === NOW - 2 * MIN));
    assert.ok(found[0]!.evidence.some((e) => e.what === "depth samples" && e.value === 3));
    // Back down to where it rose from: no rise left.
    const emptied = queue("late", 0, [
      [4 * MIN, 0],
      [2 * MIN, 30],
      [MIN, 60],
    ]);
    assert.deepEqual(drainingFindings(snapshot({ queues: [emptied], workers: [worker("w1@host", { queues: ["late"] })] })), []);
  });

  test("a queue nobody consumes is queue_no_consumer's, not this rule's", () => {
    const q = queue(
      "orphan",
      120,
      [
        [4 * MIN, 20],
        [2 * MIN, 70],
      ],
      0,
    );
    assert.deepEqual(drainingFindings(snapshot({ queues: [q] })), []);
    assert.deepEqual(kinds(runRules(snapshot({ queues: [q] })).findings), ["queue_no_consumer:orphan"]);
  });
});

describe("lost or stuck work", () => {
  test("LOST tasks summarised per worker, recent ones only", () => {
    const lostTasks = [
      { id: "a", name: "app.slow", worker: "w2@host", at: NOW - MIN },
      { id: "b", name: "app.add", worker: "w2@host", at: NOW - 2 * MIN },
      { id: "c", name: "app.add", worker: "w3@host", at: NOW - 5 * 3600_000 },
    ];
    const found = stuckWorkFindings(snapshot({ lostTasks, workers: [worker("w2@host", { status: "offline" })] }));
    assert.deepEqual(kinds(found), ["tasks_lost:w2@host"]);
    assert.match(found[0]!.sentence, /2 tasks were lost with w2@host \(app\.slow and app\.add\), the last 60 s ago: it is offline/);
  });

  test("STARTED far longer than its name's p95; a busy silent worker past the point of suspicion", () => {
    const running = (ago: number, id = "t1") => [{ id, name: "app.slow", started: NOW - ago }];
    const typicalRuntime = { "app.slow": 10 };
    assert.deepEqual(stuckWorkFindings(snapshot({ typicalRuntime, workers: [worker("w1@host", { running: running(MIN) })] })), []);
    const long = stuckWorkFindings(snapshot({ typicalRuntime, workers: [worker("w1@host", { running: running(2 * MIN) })] }));
    assert.deepEqual(kinds(long), ["task_running_long:t1"]);
    assert.match(long[0]!.sentence, /has run on w1@host for 2 min, where this task usually takes 10 s \(p95\)/);
    // No p95 for the name (too few runs): nothing to compare with.
    assert.deepEqual(stuckWorkFindings(snapshot({ workers: [worker("w1@host", { running: running(10 * MIN) })] })), []);
    const silent = stuckWorkFindings(snapshot({ typicalRuntime, workers: [worker("solo@host", { busy: true, running: running(3 * MIN) })] }));
    assert.deepEqual(kinds(silent).sort(), ["task_running_long:t1", "worker_silent_busy:solo@host"]);
  });

  test("--stuck-after lowers the floor: a 1 s task after 8 s, where the default waits a minute", () => {
    const typicalRuntime = { "app.slow": 1 };
    const solo = worker("solo@host", { busy: true, running: [{ id: "t1", name: "app.slow", started: NOW - 12_000 }] });
    assert.deepEqual(stuckWorkFindings(snapshot({ typicalRuntime, workers: [solo] })), []);
    const thresholds = { stuckAfterMs: 5000, trendWindowMs: MIN };
    assert.deepEqual(kinds(stuckWorkFindings(snapshot({ typicalRuntime, thresholds, workers: [solo] }))).sort(), [
      "task_running_long:t1",
      "worker_silent_busy:solo@host",
    ]);
    // Still past its p95 by that much: 5 s is not past a 1 s task plus 5 s, and not ten times it.
    const early = { ...solo, running: [{ id: "t1", name: "app.slow", started: NOW - 5500 }] };
    assert.deepEqual(stuckWorkFindings(snapshot({ typicalRuntime, thresholds, workers: [early] })), []);
  });
});

describe("worker load", () => {
  test("prefetch hoarding: reserved far above concurrency while tasks wait on its queue", () => {
    const hoarder = worker("w1@host", { reserved: 16, concurrency: 2, conf: { worker_prefetch_multiplier: 8 } });
    const found = workerLoadFindings(snapshot({ queues: [queue("celery", 30)], workers: [hoarder, worker("w2@host", { reserved: 3, concurrency: 2 })] }));
    assert.deepEqual(kinds(found), ["worker_prefetch_hoarding:w1@host"]);
    assert.match(found[0]!.sentence, /holds 16 prefetched tasks for a pool of 2 while tasks wait in celery/);
    // Nothing waits: prefetching costs nobody.
    assert.deepEqual(workerLoadFindings(snapshot({ queues: [queue("celery", 0)], workers: [hoarder] })), []);
  });

  test("max RSS growing at every sample over minutes; a single jump is not a leak", () => {
    const rss = (...kb: number[]) => kb.map((value, i) => ({ at: NOW - (kb.length - 1 - i) * MIN, value }));
    const leaking = worker("w1@host", { maxRss: rss(100_000, 160_000, 220_000, 280_000) });
    const jumped = worker("w2@host", { maxRss: rss(100_000, 300_000, 300_000, 300_000) });
    const found = workerLoadFindings(snapshot({ workers: [leaking, jumped] }));
    assert.deepEqual(kinds(found), ["worker_memory_growing:w1@host"]);
    assert.match(found[0]!.sentence, /grew from 98 MB to 273 MB in 3 min/);
  });

  test("prefetch hoarding once an idle worker on its queue has drained it: what it holds still waits", () => {
    const hoarder = worker("w1@host", { reserved: 9, concurrency: 1, running: [{ id: "long", name: "app.slow", started: NOW - 30_000 }] });
    const idle = worker("w2@host", { reserved: 0, concurrency: 4 });
    const found = workerLoadFindings(snapshot({ queues: [queue("celery", 0)], workers: [hoarder, idle] }));
    assert.deepEqual(kinds(found), ["worker_prefetch_hoarding:w1@host"]);
    assert.match(found[0]!.sentence, /holds 9 prefetched tasks for a pool of 1 while w2@host, which consumes its queues, is idle/);
    assert.ok(found[0]!.evidence.some((e) => e.what === "idle workers on its queues" && e.value === "w2@host"));
    // A peer busy, holding tasks, offline, or on other queues is not idle for it.
    for (const peer of [
      worker("w2@host", { reserved: 0, running: [{ id: "x", name: "app.add", started: NOW }] }),
      worker("w2@host", { reserved: 2 }),
      worker("w2@host", { reserved: null }),
      worker("w2@host", { reserved: 0, status: "offline" }),
      worker("w2@host", { reserved: 0, queues: ["other"] }),
    ]) {
      assert.deepEqual(workerLoadFindings(snapshot({ queues: [queue("celery", 0)], workers: [hoarder, peer] })), []);
    }
  });

  test("memory: judged on the latest streak of growth (flat before a leak began, flat once it stopped)", () => {
    const rss = (...kb: number[]) => kb.map((value, i) => ({ at: NOW - (kb.length - 1 - i) * 20_000, value }));
    const flatThenLeaking = worker("w1@host", { maxRss: rss(100_000, 100_000, 100_000, 130_000, 160_000, 190_000, 220_000) });
    const found = workerLoadFindings(snapshot({ workers: [flatThenLeaking] }));
    assert.deepEqual(kinds(found), ["worker_memory_growing:w1@host"]);
    assert.match(found[0]!.sentence, /grew from 98 MB to 215 MB in 80 s/);
    const stopped = worker("w1@host", { maxRss: rss(100_000, 130_000, 160_000, 190_000, 220_000, 250_000, 250_000) });
    assert.deepEqual(workerLoadFindings(snapshot({ workers: [stopped] })), [], "its growth stopped at the last sample");
  });
});
