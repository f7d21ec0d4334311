// Settings findings read from the online workers only (a worker gone no longer bites), and
// result_expires shorter than the history the agent holds, on constructed snapshots.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { configurationFindings, resultExpiresSeconds } from "../../agent/sources/diagnostics/configuration";
import { eventFindings } from "../../agent/sources/diagnostics/events";
import { NOW, snapshot, worker } from "./helpers/diagnostics";

const kinds = (fs: { kind: string; subject: { id: string } }[]) => fs.map((f) => `${f.kind}:${f.subject.id}`);
const HOUR = 3_600_000;

describe("settings of workers gone", () => {
  test("an offline worker's settings are not findings; the online replacement's are", () => {
    const bad = { task_acks_late: true, accept_content: ["pickle"], task_track_started: false, task_send_sent_event: false, result_expires: 5 };
    const good = { task_acks_late: false, accept_content: ["json"], task_track_started: true, task_send_sent_event: true, result_expires: null };
    const gone = worker("old@host", { status: "offline", conf: bad });
    const snap = snapshot({ sentEventsFrom: [], oldestHeld: NOW - HOUR, workers: [gone, worker("new@host", { conf: good })] });
    assert.deepEqual(configurationFindings(snap), []);
    assert.deepEqual(eventFindings(snap), []);
    const online = snapshot({ sentEventsFrom: [], oldestHeld: NOW - HOUR, workers: [worker("old@host", { conf: bad })] });
    assert.deepEqual(kinds(configurationFindings(online)), [
      "acks_late_without_reject_on_worker_lost:task_acks_late",
      "pickle_accepted:accept_content",
      "result_expires_shorter_than_history:result_expires",
    ]);
    assert.deepEqual(kinds(eventFindings(online)).sort(), ["sent_events_off:task_send_sent_event", "track_started_off:task_track_started"]);
  });
});

describe("result_expires shorter than the history held", () => {
  test("read as Celery's conf reply gives it: seconds, or str(timedelta); None and 0 never expire", () => {
    assert.equal(resultExpiresSeconds("1 day, 0:00:00"), 86_400);
    assert.equal(resultExpiresSeconds("0:00:05"), 5);
    assert.equal(resultExpiresSeconds(3600), 3600);
    assert.equal(resultExpiresSeconds(null), null);
    assert.equal(resultExpiresSeconds(0), null);
    assert.equal(resultExpiresSeconds("soon"), null);
  });

  test("tasks held from before the shortest expiry: said, with the setting and the oldest task", () => {
    const workers = [worker("a@host", { conf: { result_expires: "1 day, 0:00:00" } }), worker("b@host", { conf: { result_expires: 600 } })];
    const found = configurationFindings(snapshot({ oldestHeld: NOW - 2 * HOUR, workers }));
    assert.deepEqual(kinds(found), ["result_expires_shorter_than_history:result_expires"]);
    assert.equal(found[0]!.severity, "info");
    assert.match(found[0]!.sentence, /holds tasks from 2 h ago, but results expire after 10 min \(result_expires of b@host\)/);
    assert.deepEqual(
      found[0]!.evidence.map((e) => [e.what, e.value, e.source]),
      [
        ["result_expires (s)", 600, "configuration"],
        ["workers", "b@host", "inspect"],
        ["oldest task held", new Date(NOW - 2 * HOUR).toISOString(), "events"],
      ],
    );
  });

  test("nothing when the history fits, results never expire, the setting is unknown, or nothing is held", () => {
    const conf = (result_expires: unknown) => [worker("a@host", { conf: { result_expires } })];
    assert.deepEqual(configurationFindings(snapshot({ oldestHeld: NOW - 60_000, workers: conf(600) })), []);
    assert.deepEqual(configurationFindings(snapshot({ oldestHeld: NOW - HOUR, workers: conf(null) })), []);
    assert.deepEqual(configurationFindings(snapshot({ oldestHeld: NOW - HOUR, workers: [worker("a@host")] })), []);
    assert.deepEqual(configurationFindings(snapshot({ oldestHeld: null, workers: conf(5) })), []);
  });
});

describe("task-sent events off at the senders", () => {
  test("tasks received with no task-sent event from anyone, though the workers' conf has it on", () => {
    const workers = [worker("w1@host", { conf: { task_send_sent_event: true } })];
    const found = eventFindings(snapshot({ sentEventsFrom: [], tasksReceived: 5, workers }));
    assert.deepEqual(kinds(found), ["sent_events_off:task_send_sent_event"]);
    assert.match(found[0]!.sentence, /^No task-sent event has arrived though workers received 5 tasks: whatever sends them has task_send_sent_event off/);
    assert.deepEqual(
      found[0]!.evidence.map((e) => [e.what, e.value]),
      [
        ["task_send_sent_event (workers)", true],
        ["task-received events seen", 5],
        ["task-sent events seen", 0],
      ],
    );
    // A few received (sent before the agent started, maybe), or one sender seen: nothing.
    assert.deepEqual(eventFindings(snapshot({ sentEventsFrom: [], tasksReceived: 4, workers })), []);
    assert.deepEqual(eventFindings(snapshot({ sentEventsFrom: ["web@host"], tasksReceived: 50, workers })), []);
  });
});
