// A task's story: attempts in its timeline, its own children, the queue inferred when nobody names it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { newRecord } from "../../agent/sources/tasks/record";
import { applyEvent, applyMeta } from "../../agent/sources/tasks/record-merge";
import { hideDetailPayloads, taskDetail, taskRow } from "../../agent/handlers/present/tasks";
import { queueOfDelivery, topicMatches } from "../../agent/sources/tasks/queue-inference";
import type { QueueDeclaration } from "../../agent/sources/queues";
import { TaskStore } from "../../agent/sources/tasks/store";
import { ev, meta, ms, T0 } from "./helpers/task-inputs";

const ID = "a1b2c3d4-0000-4000-8000-000000000001";
const EXTRAS = { children: [], timeLimit: null, source: "test" };

describe("attempts", () => {
  test("a retry received (waiting for its countdown) before its worker reports the retry still reads attempt by attempt", () => {
    const t = newRecord(ID, 1, ms(T0));
    applyEvent(t, ev("task-received", ID, T0, { name: "app.flaky", retries: 0 }));
    applyEvent(t, ev("task-started", ID, T0 + 0.01));
    applyMeta(t, meta(ID, "STARTED", { result: { pid: 1, hostname: "w1@vm" }, seenAt: ms(T0 + 0.02) }));
    applyEvent(t, ev("task-received", ID, T0 + 0.05, { name: "app.flaky", retries: 1 }));
    applyMeta(
      t,
      meta(ID, "RETRY", {
        result: { exc_type: "RuntimeError", exc_message: ["attempt 0 failed"], exc_module: "builtins" },
        traceback: "Traceback: attempt 0",
        seenAt: ms(T0 + 0.06),
      }),
    );
    applyEvent(t, ev("task-retried", ID, T0 + 0.07, { exception: "RuntimeError('attempt 0 failed')", traceback: "Traceback: attempt 0" }));
    applyEvent(t, ev("task-started", ID, T0 + 0.3));
    applyMeta(t, meta(ID, "STARTED", { result: { pid: 1, hostname: "w1@vm" }, seenAt: ms(T0 + 0.31) }));
    applyMeta(t, meta(ID, "SUCCESS", { result: "ok", dateDone: ms(T0 + 0.32), children: [[[ID, null], null]] }));
    applyEvent(t, ev("task-succeeded", ID, T0 + 0.33, { result: "'ok'", runtime: 0.02 }));
    const d = taskDetail(t, { ...EXTRAS, children: [ID] });
    assert.deepEqual(
      d.timeline.map((e) => `${e.attempt} ${e.type}`),
      [
        "1 task-received",
        "1 task-started",
        "1 backend-started",
        "1 backend-retry",
        "1 task-retried",
        "2 task-received",
        "2 task-started",
        "2 backend-started",
        "2 backend-success",
        "2 task-succeeded",
      ],
    );
    assert.equal(d.state, "SUCCESS");
    assert.deepEqual(d.result_value, { format: "json", value: "ok" });
    assert.equal(d.exception_info, null);
    assert.equal(d.traceback, null);
    assert.deepEqual(d.children, [], "a retry makes Celery list the task as its own child");
    assert.equal(d.timeline.filter((e) => e.traceback).length, 1, "the last retry keeps the traceback");
    assert.equal(d.timeline.find((e) => e.traceback)!.traceback, "Traceback: attempt 0");
    const hidden = { format: "hidden", reason: "limited token" } as const;
    assert.deepEqual(hideDetailPayloads(d, hidden).timeline.find((e) => e.traceback)!.traceback, hidden, "a retry's traceback is payload too");
  });

  test("the retry's traceback sits on the worker's task-retried row even when the backend's RETRY record is read after it", () => {
    const t = newRecord(ID, 1, ms(T0));
    applyEvent(t, ev("task-received", ID, T0, { name: "app.flaky", retries: 0 }));
    applyEvent(t, ev("task-started", ID, T0 + 0.01));
    applyEvent(t, ev("task-retried", ID, T0 + 0.05, { exception: "RuntimeError('attempt 0 failed')", traceback: "Traceback: attempt 0" }));
    applyMeta(
      t,
      meta(ID, "RETRY", { result: { exc_type: "RuntimeError", exc_message: ["attempt 0 failed"] }, traceback: "Traceback: attempt 0", seenAt: ms(T0 + 0.06) }),
    );
    applyEvent(t, ev("task-received", ID, T0 + 0.1, { name: "app.flaky", retries: 1 }));
    applyEvent(t, ev("task-succeeded", ID, T0 + 0.3, { result: "'ok'", runtime: 0.02 }));
    const d = taskDetail(t, EXTRAS);
    assert.deepEqual(
      d.timeline.filter((e) => e.traceback).map((e) => e.type),
      ["task-retried"],
    );
  });

  test("a failed task keeps its error; a task known from one stored result says why, its attempt only inferred", () => {
    const t = newRecord(ID, 1, ms(T0));
    applyMeta(t, meta(ID, "FAILURE", { result: { exc_type: "ValueError", exc_message: ["boom"] }, traceback: "tb", dateDone: ms(T0) }));
    const d = taskDetail(t, EXTRAS);
    assert.equal(d.exception_info?.type, "ValueError");
    assert.equal(d.traceback, "tb");
    assert.match(d.note!, /Only the stored result is known/);
    assert.equal(d.timeline[0]!.attempt, 1);
    assert.equal(d.timeline[0]!.attempt_inferred, true);
    const named = newRecord(ID, 1, ms(T0));
    applyEvent(named, ev("task-received", ID, T0, { name: "app.x", retries: 0 }));
    assert.equal(taskRow(named).note, null);
  });
});

describe("queues inferred", () => {
  const decl = (name: string, exchange: string, exchangeType: string, routingKey: string): QueueDeclaration => ({
    name,
    exchange,
    exchangeType,
    routingKey,
    durable: true,
    maxPriority: null,
  });
  const consumed = [decl("celery", "celery", "direct", "celery"), decl("media", "media", "direct", "media.encode"), decl("audit", "audit", "topic", "audit.#")];

  test("from a delivery: the default exchange names the queue; a named one through its bindings", () => {
    assert.equal(queueOfDelivery("", "celery", consumed), "celery");
    assert.equal(queueOfDelivery("media", "media.encode", consumed), "media");
    assert.equal(queueOfDelivery("audit", "audit.login", consumed), "audit");
    assert.equal(queueOfDelivery("media", "other", consumed), null);
    assert.equal(queueOfDelivery("media", "other", [decl("only", "x", "direct", "y")]), "only", "a worker's only queue");
  });

  test("topic patterns", () => {
    for (const [b, k, e] of [
      ["audit.#", "audit.login", true],
      ["audit.#", "audit", true],
      ["audit.*", "audit.a.b", false],
      ["*.b", "a.b", true],
      ["a.#.c", "a.x.y.c", true],
      ["a.b", "a.c", false],
    ] as const) {
      assert.equal(topicMatches(b, k), e, `${b} ~ ${k}`);
    }
  });

  test("the store: a worker's one queue for new and held tasks, delivery info over it, a named queue over both, kept when packed", () => {
    const s = new TaskStore(100, { finished: 0, unfinished: 0 });
    s.applyEvent(ev("task-received", "held-1", T0, { name: "app.a" }, "solo@vm"));
    s.applyEvent(ev("task-succeeded", "held-1", T0 + 1, {}, "solo@vm"));
    assert.equal(s.get("held-1")!.queue, null);
    s.workerQueue = (w) => (w === "solo@vm" ? "slowlane" : null);
    assert.equal(s.inferWorkerQueue("solo@vm", "slowlane"), 1);
    assert.deepEqual([s.get("held-1")!.queue, s.get("held-1")!.queueSource], ["slowlane", "worker_queues"]);
    s.applyEvent(ev("task-received", "new-1", T0 + 2, { name: "app.a" }, "solo@vm"));
    assert.deepEqual(
      s.query({ queue: "slowlane" }, { by: "received", order: "asc" }, 10, null).tasks.map((t) => t.id),
      ["held-1", "new-1"],
    );
    assert.equal(s.inferQueue("new-1", "other", "delivery_info"), true);
    assert.deepEqual([s.get("new-1")!.queue, s.get("new-1")!.queueSource], ["other", "delivery_info"]);
    assert.equal(s.inferQueue("new-1", "slowlane", "worker_queues"), false, "the weaker inference does not replace it");
    s.applyMeta(meta("new-1", "SUCCESS", { queue: "named", dateDone: ms(T0 + 3) }));
    assert.deepEqual([s.get("new-1")!.queue, s.get("new-1")!.queueSource], ["named", "result_backend"]);
    assert.equal(s.inferQueue("new-1", "other", "delivery_info"), false);
    assert.equal(taskRow(s.get("held-1")!).queue_inferred, true);
    assert.equal(taskRow(s.get("new-1")!).queue_inferred, false);
  });
});
