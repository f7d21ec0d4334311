// Celery events off the event exchange: eventsFromBody (agent/protocol/events.ts).
// Field sets are those Celery 5.2 workers send (see docs/celery-on-redis.md, "Events").

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { eventsFromBody, num, str, type EventRejection } from "../../agent/protocol/events";

const RECEIVED_AT = 1795558020123;

function collect(body: unknown) {
  const rejected: EventRejection[] = [];
  const events = eventsFromBody(body, RECEIVED_AT, (why) => rejected.push(why));
  return { events, rejected };
}

const HEARTBEAT = {
  hostname: "solo1@vm",
  utcoffset: 0,
  pid: 7514,
  clock: 1042,
  freq: 2.0,
  active: 0,
  processed: 17,
  loadavg: [0.12, 0.2, 0.18],
  sw_ident: "py-celery",
  sw_ver: "5.2.6",
  sw_sys: "Linux",
  timestamp: 1795558020.0412,
  type: "worker-heartbeat",
};

const RECEIVED = {
  hostname: "w1@vm",
  utcoffset: -1,
  pid: 7513,
  clock: 1050,
  uuid: "d4de7b93-5c0e-4c43-9d4f-1f1f1f1f1f1f",
  name: "panel_fixture.add",
  args: "(2, 3)",
  kwargs: "{}",
  root_id: "d4de7b93-5c0e-4c43-9d4f-1f1f1f1f1f1f",
  parent_id: null,
  retries: 0,
  eta: null,
  expires: null,
  timestamp: 1795558020.5,
  type: "task-received",
};

describe("eventsFromBody", () => {
  test("a single worker event: typed fields read, every field preserved", () => {
    const { events, rejected } = collect(HEARTBEAT);
    assert.deepEqual(rejected, []);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0], {
      type: "worker-heartbeat",
      hostname: "solo1@vm",
      timestamp: 1795558020.0412,
      receivedAt: RECEIVED_AT,
      utcoffset: 0,
      clock: 1042,
      pid: 7514,
      fields: HEARTBEAT,
    });
  });

  test("a task.multi body (array) gives every event, in order", () => {
    const started = { ...RECEIVED, type: "task-started", timestamp: 1795558020.6, clock: 1051 };
    const succeeded = { ...RECEIVED, type: "task-succeeded", result: "5", runtime: 0.0021, timestamp: 1795558020.7, clock: 1052 };
    const { events, rejected } = collect([RECEIVED, started, succeeded]);
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      events.map((e) => [e.type, e.clock, e.timestamp]),
      [
        ["task-received", 1050, 1795558020.5],
        ["task-started", 1051, 1795558020.6],
        ["task-succeeded", 1052, 1795558020.7],
      ],
    );
    assert.equal(events[2]!.fields.result, "5");
    assert.equal(events[2]!.fields.runtime, 0.0021);
    assert.equal(events[0]!.fields.args, "(2, 3)");
    assert.equal(events[0]!.utcoffset, -1);
    for (const e of events) assert.equal(e.receivedAt, RECEIVED_AT);
  });

  test("every worker-* and task-* type Celery sends is accepted", () => {
    const types = [
      "worker-online",
      "worker-heartbeat",
      "worker-offline",
      "task-sent",
      "task-received",
      "task-started",
      "task-succeeded",
      "task-failed",
      "task-retried",
      "task-revoked",
      "task-rejected",
    ];
    const { events, rejected } = collect(types.map((type) => ({ type, hostname: "w1@vm", timestamp: 1, uuid: "u" })));
    assert.deepEqual(rejected, []);
    assert.deepEqual(
      events.map((e) => e.type),
      types,
    );
  });

  test("unknown types are counted as event_unknown_type and dropped", () => {
    const { events, rejected } = collect([
      { type: "task-progress", hostname: "w1@vm", timestamp: 1, uuid: "u" },
      { type: "worker-online", hostname: "w1@vm", timestamp: 1 },
      { type: "WORKER-ONLINE", hostname: "w1@vm", timestamp: 1 },
      { hostname: "w1@vm", timestamp: 1 },
      { type: 7, hostname: "w1@vm", timestamp: 1 },
    ]);
    assert.deepEqual(
      events.map((e) => e.type),
      ["worker-online"],
    );
    assert.deepEqual(rejected, ["event_unknown_type", "event_unknown_type", "event_unknown_type", "event_unknown_type"]);
  });

  test("missing or unusable hostname / timestamp -> event_missing_fields", () => {
    const { events, rejected } = collect([
      { type: "worker-heartbeat", timestamp: 1 },
      { type: "worker-heartbeat", hostname: "", timestamp: 1 },
      { type: "worker-heartbeat", hostname: 42, timestamp: 1 },
      { type: "worker-heartbeat", hostname: "w1@vm" },
      { type: "worker-heartbeat", hostname: "w1@vm", timestamp: "1795558020.0" },
      { type: "worker-heartbeat", hostname: "w1@vm", timestamp: null },
      { type: "worker-heartbeat", hostname: "w1@vm", timestamp: Infinity },
      { type: "worker-heartbeat", hostname: "w1@vm", timestamp: NaN },
    ]);
    assert.deepEqual(events, []);
    assert.deepEqual(rejected, Array(8).fill("event_missing_fields"));
  });

  test("a task event needs a string uuid; a worker event does not", () => {
    const { events, rejected } = collect([
      { type: "task-succeeded", hostname: "w1@vm", timestamp: 1 },
      { type: "task-succeeded", hostname: "w1@vm", timestamp: 1, uuid: 1234 },
      { type: "worker-online", hostname: "w1@vm", timestamp: 1 },
    ]);
    assert.deepEqual(
      events.map((e) => e.type),
      ["worker-online"],
    );
    assert.deepEqual(rejected, ["event_missing_fields", "event_missing_fields"]);
  });

  test("non-object items -> event_not_object, the rest of the batch still goes through", () => {
    const { events, rejected } = collect([null, 1, "task-received", [RECEIVED], true, RECEIVED]);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.fields.uuid, RECEIVED.uuid);
    assert.deepEqual(rejected, Array(5).fill("event_not_object"));
    assert.deepEqual(collect(null).rejected, ["event_not_object"]);
    assert.deepEqual(collect("worker-online").rejected, ["event_not_object"]);
  });

  test("an empty task.multi array gives nothing and rejects nothing", () => {
    assert.deepEqual(collect([]), { events: [], rejected: [] });
  });

  test("utcoffset / clock / pid that are not finite numbers become null", () => {
    const { events } = collect({ ...HEARTBEAT, utcoffset: "0", clock: null, pid: undefined });
    assert.equal(events[0]!.utcoffset, null);
    assert.equal(events[0]!.clock, null);
    assert.equal(events[0]!.pid, null);
    assert.equal(events[0]!.fields.utcoffset, "0");
  });
});

describe("num / str", () => {
  test("num keeps finite numbers only", () => {
    assert.equal(num(0), 0);
    assert.equal(num(-2.5), -2.5);
    for (const v of ["1", null, undefined, NaN, Infinity, -Infinity, true, [1], {}]) assert.equal(num(v), null, String(v));
  });
  test("str keeps strings only (the empty string included)", () => {
    assert.equal(str(""), "");
    assert.equal(str("x"), "x");
    for (const v of [1, null, undefined, ["x"], {}]) assert.equal(str(v), null);
  });
});
