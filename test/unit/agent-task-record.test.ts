// Merging task events and result-backend writes into one record (agent/sources/tasks/record.ts),
// by Celery's own precedence rule (celery.events.state.Task.event).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { CeleryEvent } from "../../agent/protocol/events";
import type { TaskMeta } from "../../agent/protocol/result-meta";
import { isFinished, newRecord, receivedTime, type TaskRecord } from "../../agent/sources/tasks/record";
import { applyEvent, applyMeta } from "../../agent/sources/tasks/record-merge";

const ID = "d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e";
const T0 = 1795558020; // worker clock, seconds

let clock = 0;
/** A task event as eventsFromBody makes it. `ts` is the worker's timestamp in seconds. */
function ev(type: string, ts: number, fields: Record<string, unknown> = {}, hostname = "w1@vm"): CeleryEvent {
  return {
    type,
    hostname,
    timestamp: ts,
    receivedAt: Math.round(ts * 1000) + 3,
    utcoffset: 0,
    clock: ++clock,
    pid: 7513,
    fields: { type, hostname, timestamp: ts, uuid: ID, ...fields },
  };
}

function meta(status: string, over: Partial<TaskMeta> = {}): TaskMeta {
  return {
    taskId: ID,
    status,
    result: null,
    traceback: null,
    children: [],
    dateDone: null,
    name: "panel_fixture.add",
    args: [2, 3],
    kwargs: {},
    worker: "w1@vm",
    retries: 0,
    queue: "celery",
    parentId: null,
    rootId: null,
    seenAt: T0 * 1000,
    ...over,
  };
}

const RECEIVED_FIELDS = {
  name: "panel_fixture.add",
  args: "(2, 3)",
  kwargs: "{}",
  retries: 0,
  root_id: ID,
  parent_id: null,
  queue: "celery",
  exchange: "",
  routing_key: "celery",
  eta: null,
  expires: null,
};

function fresh(): TaskRecord {
  return newRecord(ID, 1, T0 * 1000 - 500);
}

describe("events in order", () => {
  test("received -> started -> succeeded", () => {
    const t = fresh();
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS));
    assert.equal(t.state, "RECEIVED");
    applyEvent(t, ev("task-started", T0 + 0.25));
    assert.equal(t.state, "STARTED");
    applyEvent(t, ev("task-succeeded", T0 + 2.75, { result: "5", runtime: 2.5 }));
    assert.equal(t.state, "SUCCESS");
    assert.equal(t.name, "panel_fixture.add");
    assert.deepEqual(t.args, { format: "repr", value: "(2, 3)" });
    assert.deepEqual(t.kwargs, { format: "repr", value: "{}" });
    assert.deepEqual(t.result, { format: "repr", value: "5" });
    assert.equal(t.received, T0 * 1000);
    assert.equal(t.started, T0 * 1000 + 250);
    assert.equal(t.finished, T0 * 1000 + 2750);
    assert.equal(t.runtime, 2.5);
    assert.equal(t.worker, "w1@vm");
    assert.equal(t.queue, "celery");
    assert.equal(t.routingKey, "celery");
    assert.equal(t.exchange, "");
    assert.equal(t.rootId, ID);
    assert.equal(t.parentId, null);
    assert.equal(t.fromEvents, true);
    assert.equal(t.fromBackend, false);
    assert.deepEqual(
      t.timeline.map((x) => [x.type, x.at, x.source]),
      [
        ["task-received", T0 * 1000, "event"],
        ["task-started", T0 * 1000 + 250, "event"],
        ["task-succeeded", T0 * 1000 + 2750, "event"],
      ],
    );
    assert.equal(t.timeline[2]!.detail, "ran 2.500 s");
    assert.equal(isFinished(t), true);
  });

  test("task-sent from the producer: PENDING, sent time, not overwritten by a second sent", () => {
    const t = fresh();
    applyEvent(t, ev("task-sent", T0, { name: "panel_fixture.add", queue: "celery" }, "web@host"));
    assert.equal(t.state, "PENDING");
    assert.equal(t.sent, T0 * 1000);
    applyEvent(t, ev("task-sent", T0 + 5, {}, "web@host"));
    assert.equal(t.sent, T0 * 1000);
    assert.equal(t.worker, null, "the sender is not a worker");
  });
});

describe("Celery's precedence: out-of-order arrival never moves a task backwards", () => {
  test("task-succeeded before task-received: stays SUCCESS, received fields still merged", () => {
    const t = fresh();
    applyEvent(t, ev("task-succeeded", T0 + 2, { result: "5", runtime: 1.5 }));
    applyEvent(t, ev("task-started", T0 + 0.5));
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS));
    assert.equal(t.state, "SUCCESS");
    assert.equal(t.name, "panel_fixture.add");
    assert.deepEqual(t.args, { format: "repr", value: "(2, 3)" });
    assert.equal(t.queue, "celery");
    assert.equal(t.received, T0 * 1000);
    assert.equal(t.started, T0 * 1000 + 500);
    assert.equal(t.finished, T0 * 1000 + 2000);
    assert.equal(t.worker, "w1@vm");
    assert.equal(t.runtime, 1.5);
    // The timeline is in time order whatever the arrival order.
    assert.deepEqual(
      t.timeline.map((x) => x.type),
      ["task-received", "task-started", "task-succeeded"],
    );
  });

  test("FAILURE then a late STARTED/RECEIVED: stays FAILURE", () => {
    const t = fresh();
    applyEvent(t, ev("task-failed", T0 + 1, { exception: "ValueError('boom')" }));
    applyEvent(t, ev("task-started", T0 + 0.5));
    applyEvent(t, ev("task-received", T0));
    assert.equal(t.state, "FAILURE");
  });

  test("REVOKED beats STARTED and RECEIVED; SUCCESS beats REVOKED", () => {
    const t = fresh();
    applyEvent(t, ev("task-revoked", T0 + 1, { terminated: true, signum: 15, expired: false }));
    applyEvent(t, ev("task-started", T0 + 0.5));
    assert.equal(t.state, "REVOKED");
    assert.equal(t.timeline.find((x) => x.type === "task-revoked")!.detail, "terminated (signal 15)");
    applyEvent(t, ev("task-succeeded", T0 + 2));
    assert.equal(t.state, "SUCCESS");
  });

  test("a late FAILURE after SUCCESS is ignored (SUCCESS ranks first), SUCCESS after FAILURE applies", () => {
    const a = fresh();
    applyEvent(a, ev("task-succeeded", T0 + 1));
    applyEvent(a, ev("task-failed", T0 + 2, { exception: "X()" }));
    assert.equal(a.state, "SUCCESS");
    const b = fresh();
    applyEvent(b, ev("task-failed", T0 + 1, { exception: "X()" }));
    applyEvent(b, ev("task-succeeded", T0 + 2));
    assert.equal(b.state, "SUCCESS");
  });

  test("backend STARTED before the received event (busy solo worker, task_track_started)", () => {
    const t = fresh();
    const seen = T0 * 1000 + 100;
    applyMeta(t, meta("STARTED", { result: { pid: 7514, hostname: "solo1@vm" }, worker: "solo1@vm", seenAt: seen }));
    assert.equal(t.state, "STARTED");
    assert.equal(t.worker, "solo1@vm");
    assert.equal(t.started, seen);
    assert.deepEqual(t.args, { format: "json", value: [2, 3] });
    // The solo worker's buffered events arrive when the task ends.
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS, "solo1@vm"));
    assert.equal(t.state, "STARTED");
    assert.equal(t.received, T0 * 1000);
    assert.deepEqual(t.args, { format: "json", value: [2, 3] }, "JSON args from the backend beat the events' repr");
    applyEvent(t, ev("task-started", T0 + 0.1, {}, "solo1@vm"));
    applyMeta(t, meta("SUCCESS", { result: 5, dateDone: T0 * 1000 + 4000, worker: "solo1@vm" }));
    assert.equal(t.state, "SUCCESS");
    assert.deepEqual(t.result, { format: "json", value: 5 });
    assert.equal(t.finished, T0 * 1000 + 4000);
    applyEvent(t, ev("task-succeeded", T0 + 4, { result: "5", runtime: 3.9 }, "solo1@vm"));
    assert.deepEqual(t.result, { format: "json", value: 5 }, "the repr result does not replace the JSON one");
    assert.equal(t.runtime, 3.9);
    assert.equal(t.fromBackend && t.fromEvents, true);
  });

  test("backend STARTED after SUCCESS is ignored", () => {
    const t = fresh();
    applyMeta(t, meta("SUCCESS", { result: 5, dateDone: T0 * 1000 + 4000 }));
    applyMeta(t, meta("STARTED", { result: { pid: 1, hostname: "w1@vm" } }));
    assert.equal(t.state, "SUCCESS");
  });

  test("a retried task: RETRY, then RECEIVED again (RETRY always yields), then SUCCESS", () => {
    const t = fresh();
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS));
    applyEvent(t, ev("task-started", T0 + 0.1));
    applyEvent(t, ev("task-retried", T0 + 0.2, { exception: "Retry('Retry in 5s')", traceback: "Traceback ..." }));
    assert.equal(t.state, "RETRY");
    assert.equal(t.finished, null, "a retry does not finish the task");
    applyEvent(t, ev("task-received", T0 + 5.2, { ...RECEIVED_FIELDS, retries: 1, parent_id: ID, eta: "2026-11-24T22:07:05.200000+00:00" }));
    assert.equal(t.state, "RECEIVED");
    assert.equal(t.retries, 1);
    assert.equal(t.received, (T0 + 5.2) * 1000);
    assert.equal(t.eta, "2026-11-24T22:07:05.200000+00:00");
    assert.equal(t.parentId, null, "a retry names itself as parent: not linked");
    applyEvent(t, ev("task-started", T0 + 5.3));
    assert.equal(t.state, "STARTED");
    applyEvent(t, ev("task-succeeded", T0 + 5.5, { result: "7", runtime: 0.2 }));
    assert.equal(t.state, "SUCCESS");
    assert.deepEqual(
      t.timeline.map((x) => x.type),
      ["task-received", "task-started", "task-retried", "task-received", "task-started", "task-succeeded"],
    );
  });

  test("after RETRY even the re-sent task's task-sent (PENDING) applies, as in Celery", () => {
    const t = fresh();
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS));
    applyEvent(t, ev("task-retried", T0 + 1, { exception: "Retry('Retry in 5s')" }));
    applyEvent(t, ev("task-sent", T0 + 1.01, { retries: 1, eta: "2026-11-24T22:07:06+00:00" }));
    assert.equal(t.state, "PENDING");
    assert.equal(t.retries, 1);
    // ...while a late task-sent for a task already started does not move it back.
    const u = fresh();
    applyEvent(u, ev("task-started", T0 + 1));
    applyEvent(u, ev("task-sent", T0));
    assert.equal(u.state, "STARTED");
  });

  test("a retry reported late by another worker does not undo the final success", () => {
    // Attempt 1 ran on a solo worker, whose events arrive only when it next flushes; attempt 2
    // succeeded on another worker and was heard first.
    const t = fresh();
    applyEvent(t, ev("task-received", T0 + 2, { ...RECEIVED_FIELDS, retries: 2 }, "w1@vm"));
    applyEvent(t, ev("task-succeeded", T0 + 3, { result: "'ok'", runtime: 0.5 }, "w1@vm"));
    applyEvent(t, ev("task-retried", T0 + 1, { exception: "RuntimeError('attempt 1 failed')" }, "solo1@vm"));
    assert.equal(t.state, "SUCCESS");
    // A retry after the final state (a real new attempt) still applies.
    applyEvent(t, ev("task-retried", T0 + 4, { exception: "RuntimeError('again')" }, "w1@vm"));
    assert.equal(t.state, "RETRY");
  });

  test("backend RETRY then RECEIVED event applies (RETRY never blocks)", () => {
    const t = fresh();
    applyMeta(t, meta("RETRY", { result: { exc_type: "Retry", exc_message: ["Retry in 5s"], exc_module: "celery.exceptions" } }));
    assert.equal(t.state, "RETRY");
    assert.equal(t.finished, null);
    applyEvent(t, ev("task-received", T0 + 5));
    assert.equal(t.state, "RECEIVED");
  });

  test("the queue named by events wins over the backend's routing key (topic routing)", () => {
    const t = fresh();
    applyEvent(t, ev("task-received", T0, { ...RECEIVED_FIELDS, queue: "orders", routing_key: "orders.eu" }));
    applyMeta(t, meta("SUCCESS", { queue: "orders.eu", result: 1 }));
    assert.equal(t.queue, "orders");
    assert.equal(t.routingKey, "orders.eu");
    const u = fresh();
    applyMeta(u, meta("STARTED", { queue: "celery", result: { pid: 1, hostname: "w1@vm" } }));
    assert.equal(u.queue, "celery", "the backend fills a queue not known yet");
  });

  test("custom backend states (PROGRESS) are ignored entirely", () => {
    const t = fresh();
    applyEvent(t, ev("task-started", T0));
    applyMeta(t, meta("PROGRESS", { result: { done: 3 } }));
    assert.equal(t.state, "STARTED");
    assert.equal(t.fromBackend, false);
    assert.equal(t.timeline.length, 1);
  });
});

describe("exceptions", () => {
  const FAILURE = {
    result: { exc_type: "ValueError", exc_message: ["boom"], exc_module: "builtins" },
    traceback: "Traceback...\nValueError: boom\n",
    dateDone: T0 * 1000 + 900,
  };

  test('the backend exc_type beats the event\'s "ExceptionWithTraceback()" (event first)', () => {
    const t = fresh();
    applyEvent(t, ev("task-failed", T0 + 0.8, { exception: "ExceptionWithTraceback()", traceback: "tb from event" }));
    assert.equal(t.exception, "ExceptionWithTraceback()");
    applyMeta(t, meta("FAILURE", FAILURE));
    assert.equal(t.state, "FAILURE");
    assert.equal(t.exception, "ValueError('boom')");
    assert.equal(t.excType, "ValueError");
    assert.equal(t.excMessage, "boom");
    assert.equal(t.excModule, "builtins");
    assert.equal(t.traceback, "Traceback...\nValueError: boom\n");
    assert.equal(t.finished, T0 * 1000 + 800, "the first finish time seen is kept");
  });

  test("...and when the event arrives after the backend write", () => {
    const t = fresh();
    applyMeta(t, meta("FAILURE", FAILURE));
    applyEvent(t, ev("task-failed", T0 + 0.8, { exception: "ExceptionWithTraceback()" }));
    assert.equal(t.exception, "ValueError('boom')");
    assert.equal(t.excType, "ValueError");
    assert.equal(t.state, "FAILURE");
  });

  test("exception text reads like Python's repr", () => {
    const cases: [unknown, string][] = [
      [["it's broken"], `KeyError("it's broken")`],
      ["plain string message", "KeyError('plain string message')"],
      [["a", 2], "KeyError('a, 2')"],
      [["line1\nline2"], "KeyError('line1\\nline2')"],
      [["back\\slash"], "KeyError('back\\\\slash')"],
    ];
    for (const [msg, want] of cases) {
      const t = fresh();
      applyMeta(t, meta("FAILURE", { result: { exc_type: "KeyError", exc_message: msg, exc_module: "builtins" } }));
      assert.equal(t.exception, want, JSON.stringify(msg));
    }
  });

  test("runtime of a failure without one: the span from start to failure", () => {
    const t = fresh();
    applyEvent(t, ev("task-started", T0));
    applyEvent(t, ev("task-failed", T0 + 2.5, { exception: "ValueError('boom')" }));
    assert.equal(t.runtime, 2.5);
    // Out of order: the start arriving last still gives the span.
    const u = fresh();
    applyEvent(u, ev("task-failed", T0 + 2.5, { exception: "ValueError('boom')" }));
    assert.equal(u.runtime, null);
    applyEvent(u, ev("task-started", T0 + 1));
    assert.equal(u.runtime, 1.5);
  });

  test("a failure seen first through the backend (a solo worker) never gets a negative runtime", () => {
    const t = fresh();
    // The agent saw STARTED a moment after the task had already failed (backend clock vs agent clock).
    applyMeta(t, meta("STARTED", { result: { pid: 1, hostname: "solo1@vm" }, seenAt: T0 * 1000 + 20 }));
    applyMeta(t, meta("FAILURE", { result: { exc_type: "ValueError", exc_message: ["boom"], exc_module: "builtins" }, dateDone: T0 * 1000 + 10 }));
    applyEvent(t, ev("task-received", T0, RECEIVED_FIELDS, "solo1@vm"));
    assert.equal(t.runtime, null);
    applyEvent(t, ev("task-started", T0 + 0.002, {}, "solo1@vm"));
    applyEvent(t, ev("task-failed", T0 + 0.01, { exception: "ExceptionWithTraceback()" }, "solo1@vm"));
    assert.ok(t.runtime !== null && t.runtime >= 0, `runtime ${t.runtime}`);
  });

  test("a revoked (terminated) task gets no made-up runtime", () => {
    const t = fresh();
    applyEvent(t, ev("task-started", T0));
    applyEvent(t, ev("task-revoked", T0 + 5, { terminated: true, signum: 15 }));
    assert.equal(t.state, "REVOKED");
    assert.equal(t.runtime, null);
  });
});

describe("links and sources", () => {
  test("parent_id equal to the task's own id is ignored; a real parent is kept", () => {
    const t = fresh();
    applyEvent(t, ev("task-received", T0, { parent_id: ID }));
    assert.equal(t.parentId, null);
    applyMeta(t, meta("STARTED", { parentId: ID, result: { pid: 1, hostname: "w1@vm" } }));
    assert.equal(t.parentId, null);
    applyEvent(t, ev("task-started", T0 + 1, { parent_id: "p-1", root_id: "r-1" }));
    assert.equal(t.parentId, "p-1");
    assert.equal(t.rootId, "r-1");
    applyMeta(t, meta("SUCCESS", { parentId: ID }));
    assert.equal(t.parentId, "p-1", "a later self-parent does not erase the real one");
  });

  test("children from the backend's nested tuples", () => {
    const t = fresh();
    applyMeta(
      t,
      meta("SUCCESS", {
        children: [
          [["c1", null], null],
          [["c2", [ID, null]], null],
        ],
      }),
    );
    assert.deepEqual(t.children, ["c1", "c2"]);
    applyMeta(t, meta("SUCCESS", { children: [] }));
    assert.deepEqual(t.children, ["c1", "c2"], "an empty list does not erase known children");
  });

  test("the same transition from both sources is in the timeline once per source; a repeat is dropped", () => {
    const t = fresh();
    applyEvent(t, ev("task-succeeded", T0 + 1));
    applyEvent(t, ev("task-succeeded", T0 + 1));
    applyMeta(t, meta("SUCCESS", { dateDone: T0 * 1000 + 1000, result: 5 }));
    assert.deepEqual(
      t.timeline.map((x) => [x.type, x.source]),
      [
        ["task-succeeded", "event"],
        ["backend-success", "result_backend"],
      ],
    );
  });

  test("the timeline is bounded (64), keeping the first entry", () => {
    const t = fresh();
    for (let i = 0; i < 100; i++) applyEvent(t, ev(i % 2 ? "task-retried" : "task-received", T0 + i));
    assert.equal(t.timeline.length, 64);
    assert.equal(t.timeline[0]!.at, T0 * 1000);
    assert.equal(t.timeline[63]!.at, (T0 + 99) * 1000);
  });

  test("receivedTime: received, else sent, started, finished, first sight", () => {
    const t = newRecord("x", 1, 111);
    assert.equal(receivedTime(t), 111);
    t.finished = 4;
    assert.equal(receivedTime(t), 4);
    t.started = 3;
    assert.equal(receivedTime(t), 3);
    t.sent = 2;
    assert.equal(receivedTime(t), 2);
    t.received = 1;
    assert.equal(receivedTime(t), 1);
  });

  test("isFinished: SUCCESS, FAILURE, REVOKED, REJECTED", () => {
    const t = newRecord("x", 1, 0);
    const finished = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"].filter((s) => {
      t.state = s as TaskRecord["state"];
      return isFinished(t);
    });
    assert.deepEqual(finished, ["SUCCESS", "FAILURE", "REVOKED", "REJECTED"]);
  });
});
