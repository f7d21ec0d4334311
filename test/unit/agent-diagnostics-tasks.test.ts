// Why a task waits (agent/sources/diagnostics/task-waiting.ts), on task records built by the real
// merge rules from recorded event sequences.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { explainTask, explainUnknownId, LIST_AFTER_MS, waitingTaskFindings } from "../../agent/sources/diagnostics/task-waiting";
import { NOW, queue, snapshot, task, tev, worker } from "./helpers/diagnostics";

const sentTo = (queue: string, ago = 60_000, name = "app.add") => tev("task-sent", "t1", ago, { name, queue, routing_key: queue }, "producer@host");

describe("a task sent and not received", () => {
  test("in a queue no online worker consumes: no consumer, a problem", () => {
    const t = task("t1", sentTo("parked"));
    const snap = snapshot({ queues: [queue("parked", 3)] });
    const [f] = explainTask(t, snap);
    assert.equal(f?.kind, "task_waiting_no_consumer");
    assert.equal(f?.severity, "problem");
    assert.deepEqual(f?.subject, { type: "task", id: "t1" });
    assert.match(f!.sentence, /queue parked, which no online worker consumes/);
    assert.ok(f!.evidence.some((e) => e.what === "messages in the queue" && e.value === 3 && e.source === "broker"));
    assert.ok(f!.evidence.some((e) => e.what === "consumers online" && e.value === 0 && e.source === "inspect"));
    assert.match(f!.action, /-Q parked/);
  });

  test("an online worker whose queues are not known yet: no verdict of no consumer", () => {
    const t = task("t1", sentTo("parked"));
    const [f] = explainTask(t, snapshot({ workers: [worker("w1@host", { queues: null })] }));
    assert.equal(f?.kind, "task_waiting_in_queue");
    assert.match(f!.sentence, /which workers consume it is not known yet/);
  });

  test("a consumer offline does not count", () => {
    const t = task("t1", sentTo("media"));
    const [f] = explainTask(t, snapshot({ workers: [worker("w1@host"), worker("w2@host", { status: "offline", queues: ["media"] })] }));
    assert.equal(f?.kind, "task_waiting_no_consumer");
  });

  test("consumed by workers that do not register its name: unregistered", () => {
    const t = task("t1", sentTo("celery", 60_000, "app.missing"));
    const [f] = explainTask(t, snapshot());
    assert.equal(f?.kind, "task_waiting_unregistered");
    assert.match(f!.sentence, /do not register app\.missing: the one that takes it will drop its message and fail it \(NotRegistered\), without running it/);
  });

  test("consumed and registered: waits its turn, with its position from the queue read", () => {
    const t = task("t1", sentTo("celery"));
    t.waiting = { queue: "celery", position: 4, priority: 0, seenAt: NOW - 500 };
    const [f] = explainTask(t, snapshot({ queues: [queue("celery", 9)] }));
    assert.equal(f?.kind, "task_waiting_in_queue");
    assert.equal(f?.severity, "info");
    assert.match(f!.sentence, /3 messages ahead of it, consumed by w1@host/);
    assert.ok(f!.evidence.some((e) => e.what === "position in the queue" && e.value === 4 && e.at === NOW - 500));
  });

  test("with a countdown: due at its ETA, warning once overdue", () => {
    const eta = new Date(NOW + 90_000).toISOString();
    const [ahead] = explainTask(task("t1", tev("task-sent", "t1", 1000, { name: "app.add", queue: "celery", eta })), snapshot());
    assert.equal(ahead?.kind, "task_scheduled_eta");
    assert.equal(ahead?.severity, "info");
    assert.match(ahead!.sentence, /due at .* \(in 90 s\)/);
    const past = new Date(NOW - 120_000).toISOString();
    const [late] = explainTask(
      task("t2", tev("task-sent", "t2", 200_000, { name: "app.add", eta: past }), tev("task-received", "t2", 199_000, { eta: past })),
      snapshot(),
    );
    assert.equal(late?.kind, "task_scheduled_eta");
    assert.equal(late?.severity, "warning");
    assert.match(late!.sentence, /held by w1@host until then, and has not started/);
  });
});

describe("a task received and not started", () => {
  test("behind a running task on the same worker: reserved, naming the running task", () => {
    const t = task("t1", sentTo("celery", 30_000), tev("task-received", "t1", 29_000, { name: "app.add" }));
    const snap = snapshot({ workers: [worker("w1@host", { running: [{ id: "long1", name: "app.slow", started: NOW - 300_000 }] })] });
    const [f] = explainTask(t, snap);
    assert.equal(f?.kind, "task_reserved_behind_running");
    assert.match(f!.sentence, /reserved by w1@host .* behind the running task app\.slow long1, running for 5 min/);
    assert.ok(f!.evidence.some((e) => e.what === "running app.slow long1"));
  });

  test("on an idle worker: only received, worth knowing", () => {
    const [f] = explainTask(task("t1", tev("task-received", "t1", 3000, { name: "app.add" })), snapshot());
    assert.equal(f?.kind, "task_received_not_started");
    assert.equal(f?.severity, "info");
  });
});

describe("a task revoked while its message waits", () => {
  test("is said to be dropped when taken, whatever else holds it up", () => {
    const t = task("t1", sentTo("parked"));
    const [f, ...rest] = explainTask(t, snapshot({ queues: [queue("parked", 1)] }), ["w1@host"]);
    assert.equal(f?.kind, "task_revoked");
    assert.match(f!.sentence, /revoked list of w1@host, and the worker that takes its message will drop it/);
    assert.deepEqual(rest, []);
    // A finished task is not explained by a revoke it outlived.
    assert.deepEqual(explainTask(task("t1", tev("task-succeeded", "t1", 100, { runtime: 0.1 })), snapshot(), ["w1@host"]), []);
  });
});

describe("tasks that do not wait", () => {
  test("revoked: said so; running or finished: nothing", () => {
    assert.equal(explainTask(task("t1", sentTo("celery"), tev("task-revoked", "t1", 100)), snapshot())[0]?.kind, "task_revoked");
    assert.deepEqual(explainTask(task("t1", tev("task-started", "t1", 100)), snapshot()), []);
    assert.deepEqual(explainTask(task("t1", tev("task-succeeded", "t1", 100, { runtime: 0.1 })), snapshot()), []);
  });
});

describe("the findings list", () => {
  test("names waiting tasks worse than info, after they waited a while", () => {
    const fresh = task("fresh", tev("task-sent", "fresh", LIST_AFTER_MS - 1000, { name: "app.add", queue: "parked" }));
    const old = task("old", tev("task-sent", "old", LIST_AFTER_MS + 1000, { name: "app.add", queue: "parked" }));
    const fine = task("fine", tev("task-sent", "fine", 60_000, { name: "app.add", queue: "celery" }));
    const found = waitingTaskFindings(snapshot({ waitingTasks: [fresh, old, fine] }));
    assert.deepEqual(
      found.map((f) => [f.kind, f.subject.id]),
      [["task_waiting_no_consumer", "old"]],
    );
  });

  test("tasks of names their queue's consumers do not register: one finding for the queue, saying what Celery does", () => {
    const unknown = (id: string) => task(id, tev("task-sent", id, 60_000, { name: "app.missing", queue: "celery" }));
    const found = waitingTaskFindings(snapshot({ waitingTasks: [unknown("u1"), unknown("u2")] }));
    assert.deepEqual(
      found.map((f) => [f.kind, f.subject.type, f.subject.id]),
      [["task_waiting_unregistered", "queue", "celery"]],
    );
    assert.match(found[0]!.sentence, /^2 tasks \(app\.missing\) wait in queue celery, .* fail them \(NotRegistered\), without running them\.$/);
  });
});

describe("an id the agent does not hold", () => {
  const base = {
    id: "nope",
    revokedBy: [],
    backend: { state: "no_result" as const },
    resultExpires: 86_400,
    searched: { read: 100, messages: 100 },
    agentStartedAt: NOW - 3_600_000,
  };

  test("lists what the evidence allows: never sent, expired result, wrong id", () => {
    const [f] = explainUnknownId(base, NOW);
    assert.equal(f?.kind, "task_unknown");
    assert.match(f!.sentence, /a wrong id/);
    assert.match(f!.sentence, /never sent/);
    assert.match(f!.sentence, /more than 24 h ago and its result expired/);
    assert.doesNotMatch(f!.sentence, /beyond the/, "every message was read: it is not in a queue");
  });

  test("a queue read only in part, a backend not reachable: both said", () => {
    const [f] = explainUnknownId({ ...base, searched: { read: 5000, messages: 80_000 }, backend: { state: "unreachable", error: "connection refused" } }, NOW);
    assert.match(f!.sentence, /beyond the 5000 messages read \(of 80000\)/);
    assert.match(f!.sentence, /backend could not be asked/);
  });

  test("in a worker's revoked list: revoked", () => {
    const [f] = explainUnknownId({ ...base, revokedBy: ["w1@host"] }, NOW);
    assert.equal(f?.kind, "task_revoked");
    assert.match(f!.sentence, /revoked list of w1@host/);
  });
});
