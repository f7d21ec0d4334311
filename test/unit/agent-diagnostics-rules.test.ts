// The diagnostics rules other than a task's wait (agent/sources/diagnostics/): queues, events,
// workers, configuration, and the registry that runs them, on constructed snapshots.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { configurationFindings } from "../../agent/sources/diagnostics/configuration";
import { eventFindings } from "../../agent/sources/diagnostics/events";
import { queueFindings } from "../../agent/sources/diagnostics/queues";
import { runRules } from "../../agent/sources/diagnostics/registry";
import { workerFindings } from "../../agent/sources/diagnostics/workers";
import { waitingTaskFindings } from "../../agent/sources/diagnostics/task-waiting";
import { NOW, queue, snapshot, task, tev, worker } from "./helpers/diagnostics";

const kinds = (fs: { kind: string; subject: { id: string } }[]) => fs.map((f) => `${f.kind}:${f.subject.id}`);

describe("queue not draining", () => {
  test("messages and no online consumer: a problem naming the consumers gone offline", () => {
    const snap = snapshot({
      queues: [queue("celery", 5), queue("parked", 2), queue("empty", 0), queue("uncounted", null)],
      workers: [worker("w1@host"), worker("w2@host", { status: "offline", queues: ["parked"] })],
    });
    const found = queueFindings(snap);
    assert.deepEqual(kinds(found), ["queue_no_consumer:parked"]);
    assert.match(found[0]!.sentence, /holds 2 messages and no online worker consumes it: it will not drain \(w2@host, which consumed it, is offline\)/);
  });

  test("no verdict while an online worker's queues are unknown", () => {
    const snap = snapshot({ queues: [queue("parked", 2)], workers: [worker("w1@host", { queues: null })] });
    assert.deepEqual(queueFindings(snap), []);
  });
});

describe("events off or partial", () => {
  test("results arrive from a worker that sends no task events", () => {
    const silent = worker("w2@host", { sendsTaskEvents: false, resultsWithoutEvents: { count: 3, last: NOW - 100 } });
    const found = eventFindings(snapshot({ workers: [worker("w1@host"), silent, worker("w3@host", { sendsTaskEvents: false })] }));
    assert.deepEqual(kinds(found), ["worker_no_task_events:w2@host"], "w3 stored no result: nothing says its events are off");
    assert.match(found[0]!.action, /-E/);
    assert.ok(found[0]!.evidence.some((e) => e.source === "result_backend" && e.value === 3));
  });

  test("task_send_sent_event off with no task-sent seen; task_track_started off", () => {
    const conf = { task_send_sent_event: false, task_track_started: false };
    const found = eventFindings(snapshot({ sentEventsFrom: [], workers: [worker("w1@host", { conf })] }));
    assert.deepEqual(kinds(found).sort(), ["sent_events_off:task_send_sent_event", "track_started_off:task_track_started"]);
    // Senders that do send them (a producer configured apart from the workers): not off.
    assert.deepEqual(kinds(eventFindings(snapshot({ workers: [worker("w1@host", { conf })] }))), ["track_started_off:task_track_started"]);
    assert.deepEqual(
      eventFindings(snapshot({ sentEventsFrom: [], workers: [worker("w1@host", { conf: { task_send_sent_event: true, task_track_started: true } })] })),
      [],
    );
  });
});

describe("workers", () => {
  test("offline since when, restarted, clock skew beyond a second", () => {
    const found = workerFindings(
      snapshot({
        workers: [
          worker("gone@host", { status: "offline", offlineAt: NOW - 180_000, detail: "shut down (sent worker-offline)" }),
          worker("dead@host", { status: "offline", lastHeard: NOW - 30_000, detail: "no heartbeat for 30 s (expected every 2 s)" }),
          worker("stale@host", { status: "offline", heard: false, lastHeard: null }),
          worker("new@host", { restartedAt: NOW - 60_000, pid: 4242 }),
          worker("ahead@host", { clockSkew: 7.2 }),
          worker("close@host", { clockSkew: 0.4 }),
        ],
      }),
    );
    assert.deepEqual(kinds(found), ["worker_offline:gone@host", "worker_offline:dead@host", "worker_restarted:new@host", "worker_clock_skew:ahead@host"]);
    assert.match(found[0]!.sentence, /offline since .* \(3 min\): shut down/);
    assert.match(found[1]!.action, /without saying goodbye/);
    assert.match(found[2]!.sentence, /pid 4242/);
    assert.match(found[3]!.sentence, /7.2 s ahead of the agent's/);
  });

  test("a restart long ago is no longer news", () => {
    assert.deepEqual(workerFindings(snapshot({ workers: [worker("w@host", { restartedAt: NOW - 3_600_000 })] })), []);
  });
});

describe("configuration", () => {
  test("acks_late without reject_on_worker_lost, and pickle accepted, name the workers", () => {
    const found = configurationFindings(
      snapshot({
        workers: [
          worker("a@host", { conf: { task_acks_late: true, task_reject_on_worker_lost: false, accept_content: ["json", "pickle"] } }),
          worker("b@host", { conf: { task_acks_late: true, task_reject_on_worker_lost: true, accept_content: ["json"] } }),
        ],
      }),
    );
    assert.deepEqual(kinds(found), ["acks_late_without_reject_on_worker_lost:task_acks_late", "pickle_accepted:accept_content"]);
    assert.match(found[0]!.sentence, /^a@host acknowledges tasks late/);
  });

  test("an ETA further than the visibility_timeout is said once, by redelivery_risk with the setting", () => {
    const eta = new Date(NOW + 7_200_000).toISOString();
    const far = task("far", tev("task-sent", "far", 1000, { name: "app.add", queue: "q", eta }), tev("task-received", "far", 900, { eta }));
    const conf = { broker_transport_options: { visibility_timeout: 3600 } };
    const snap = snapshot({ waitingTasks: [far], workers: [worker("w1@host", { conf })] });
    assert.deepEqual(configurationFindings(snap), []);
    const risky = runRules(snap).findings.filter((f) => f.evidence.some((e) => e.what === "visibility_timeout (s)"));
    assert.deepEqual(kinds(risky), ["redelivery_risk:q"]);
    assert.match(risky[0]!.sentence, /1 ETA task \(far\) waiting up to 2 h before due, longer than the visibility_timeout of 3600 s/);
    assert.ok(risky[0]!.evidence.some((e) => e.what === "visibility_timeout read from" && e.value === "broker_transport_options of w1@host"));
  });
});

describe("the registry", () => {
  test("tasks waiting in one queue for one reason are one finding, for the queue", () => {
    const waiting = ["t1", "t2", "t3"].map((id) => task(id, tev("task-sent", id, 60_000, { name: "app.add", queue: "parked" })));
    // Depth unknown (no queue finding to cover them): one grouped finding instead of three.
    const grouped = runRules(snapshot({ queues: [queue("parked", null)], waitingTasks: waiting }), { tasks: waitingTaskFindings });
    assert.deepEqual(kinds(grouped.findings), ["task_waiting_no_consumer:parked"]);
    assert.match(grouped.findings[0]!.sentence, /^3 tasks \(app\.add\) wait in queue parked, which no online worker consumes/);
    assert.ok(grouped.findings[0]!.evidence.some((e) => e.what === "tasks waiting for this reason" && e.value === 3));
    assert.ok(!grouped.findings[0]!.evidence.some((e) => e.what === "state"), "no one task's own state");
    // One task alone keeps its own finding.
    const single = runRules(snapshot({ queues: [queue("parked", null)], waitingTasks: waiting.slice(0, 1) }), { tasks: waitingTaskFindings });
    assert.deepEqual(kinds(single.findings), ["task_waiting_no_consumer:t1"]);
  });

  test("runs every family, worst first, and a failing rule costs only its own findings", () => {
    const snap = snapshot({
      queues: [queue("parked", 1)],
      workers: [worker("w1@host", { clockSkew: 3 })],
      waitingTasks: [task("t1", tev("task-sent", "t1", 60_000, { name: "app.add", queue: "parked" }))],
    });
    const { findings, failed } = runRules(snap);
    // The task waits for the queue's own reason: the queue's finding says it for both.
    assert.deepEqual(kinds(findings), ["queue_no_consumer:parked", "worker_clock_skew:w1@host"]);
    assert.deepEqual(failed, []);
    const broken = runRules(snap, {
      bad: () => {
        throw new Error("boom");
      },
      workers: workerFindings,
    });
    assert.deepEqual(kinds(broken.findings), ["worker_clock_skew:w1@host"]);
    assert.deepEqual(broken.failed, [{ rule: "bad", error: "boom" }]);
  });
});
