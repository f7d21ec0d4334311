// Waiting messages (agent/sources/waiting.ts, record.ts applyWaiting) and SCHEDULED tasks: how a
// message read from a queue and a task-received with an ETA ahead change a task, and how the reads
// are bounded.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { CeleryEvent } from "../../agent/protocol/events";
import { decodeEnvelope, encodeEnvelope, type Envelope } from "../../agent/protocol/envelope";
import { readTaskMessage, type TaskMessage } from "../../agent/protocol/task-message";
import type { ListRead } from "../../agent/protocol/transport";
import { TaskStore } from "../../agent/sources/tasks/store";
import { planReads, WaitingMessages } from "../../agent/sources/waiting";

const ID = "d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e";
const T0 = 1795558020; // seconds

function ev(type: string, ts: number, fields: Record<string, unknown> = {}, id = ID): CeleryEvent {
  return { type, hostname: "w1@vm", timestamp: ts, receivedAt: ts * 1000, utcoffset: 0, clock: 1, pid: 1, fields: { type, uuid: id, ...fields } };
}

/** A protocol 2 task message as Celery sends it, through the envelope codec. */
function taskEnvelope(id: string, priority: number, over: Record<string, unknown> = {}): Envelope {
  const raw = encodeEnvelope(
    [[1, 2], {}, { callbacks: null }],
    { task: "proj.add", id, argsrepr: "(1, 2)", kwargsrepr: "{}", eta: null, expires: null, retries: 0, root_id: id, parent_id: null, ...over },
    { exchange: "", routing_key: "nobody" },
    "tag",
  );
  const parsed = JSON.parse(raw);
  parsed.properties.priority = priority;
  const d = decodeEnvelope(JSON.stringify(parsed));
  assert.ok(d.ok);
  return d.envelope;
}

function msg(id = ID, priority = 6): TaskMessage {
  return readTaskMessage(taskEnvelope(id, priority))!;
}

describe("readTaskMessage", () => {
  test("protocol 2: id and name from the headers, args as JSON from the body, priority from the properties", () => {
    const m = msg();
    assert.equal(m.id, ID);
    assert.equal(m.name, "proj.add");
    assert.deepEqual(m.args, { format: "json", value: [1, 2] });
    assert.equal(m.priority, 6);
    assert.equal(m.routingKey, "nobody");
  });
  test("protocol 1: everything in the body; not a task message: null", () => {
    const d = decodeEnvelope(
      encodeEnvelope({ task: "proj.add", id: ID, args: [1], kwargs: {}, eta: "2026-12-01T10:00:00+00:00" }, {}, { exchange: "", routing_key: "q" }, "t"),
    );
    assert.ok(d.ok);
    assert.deepEqual(readTaskMessage(d.envelope), {
      ...readTaskMessage(d.envelope)!,
      id: ID,
      name: "proj.add",
      args: { format: "json", value: [1] },
      eta: "2026-12-01T10:00:00+00:00",
    });
    const other = decodeEnvelope(encodeEnvelope({ method: "ping" }, {}, { exchange: "", routing_key: "q" }, "t"));
    assert.ok(other.ok);
    assert.equal(readTaskMessage(other.envelope), null);
  });
});

describe("waiting in the task store", () => {
  const at = T0 * 1000;
  test("a message not seen before is a PENDING task with where it waits; the same place again changes nothing", () => {
    const store = new TaskStore(100);
    let changes = 0;
    store.onChange(() => changes++);
    store.applyWaiting(msg(), { queue: "nobody", position: 3, priority: 6, seenAt: at });
    const t = store.get(ID)!;
    assert.equal(t.state, "PENDING");
    assert.deepEqual(t.waiting, { queue: "nobody", position: 3, priority: 6, seenAt: at });
    assert.equal(t.priority, 6);
    assert.equal(t.queue, "nobody");
    assert.equal(store.applyWaiting(msg(), { queue: "nobody", position: 3, priority: 6, seenAt: at + 2000 }), null);
    assert.equal(changes, 1);
    store.applyWaiting(msg(), { queue: "nobody", position: 2, priority: 6, seenAt: at + 4000 });
    assert.equal(store.get(ID)!.waiting!.position, 2);
  });

  test("a worker receiving it ends the wait; a read from before that does not bring it back", () => {
    const store = new TaskStore(100);
    store.applyWaiting(msg(), { queue: "nobody", position: 1, priority: 6, seenAt: at });
    store.applyEvent(ev("task-received", T0 + 1, { name: "proj.add" }));
    assert.equal(store.get(ID)!.state, "RECEIVED");
    assert.equal(store.get(ID)!.waiting, null);
    store.applyWaiting(msg(), { queue: "nobody", position: 1, priority: 6, seenAt: at + 500 });
    assert.equal(store.get(ID)!.waiting, null, "a read started before the task was received");
  });

  test("leaving the queue: a task known only from the queue is forgotten, one known otherwise stops waiting", () => {
    const store = new TaskStore(100);
    const other = "5a1c0a4e-0000-4000-8000-000000000001";
    store.applyWaiting(msg(), { queue: "nobody", position: 1, priority: 6, seenAt: at });
    store.applyEvent(ev("task-sent", T0 - 1, { name: "proj.add" }, other));
    store.applyWaiting(msg(other), { queue: "nobody", position: 2, priority: 6, seenAt: at });
    const told: (string | null)[] = [];
    store.onChange((t) => told.push(t.waiting?.queue ?? null));
    store.leftQueue(ID);
    store.leftQueue(other);
    assert.deepEqual(told, [null, null], "both changes told, neither waiting");
    assert.equal(store.get(ID), undefined);
    assert.equal(store.size, 1);
    assert.equal(store.get(other)!.state, "PENDING");
    assert.equal(store.get(other)!.waiting, null);
  });

  test("a retry sent back to the queue waits again", () => {
    const store = new TaskStore(100);
    store.applyEvent(ev("task-retried", T0, { exception: "RuntimeError('x')" }));
    store.applyWaiting(msg(), { queue: "celery", position: 1, priority: 0, seenAt: at + 1000 });
    assert.equal(store.get(ID)!.state, "RETRY");
    assert.equal(store.get(ID)!.waiting!.queue, "celery");
  });
});

describe("SCHEDULED", () => {
  test("received with an ETA ahead is SCHEDULED, started moves it on; an ETA already passed is RECEIVED", () => {
    const store = new TaskStore(100);
    store.applyEvent(ev("task-received", T0, { name: "proj.add", eta: new Date((T0 + 60) * 1000).toISOString() }));
    assert.equal(store.get(ID)!.state, "SCHEDULED");
    assert.deepEqual(
      store.query({ states: ["SCHEDULED"] }, { by: "received", order: "desc" }, 10, null).tasks.map((t) => t.id),
      [ID],
    );
    store.applyEvent(ev("task-started", T0 + 60));
    assert.equal(store.get(ID)!.state, "STARTED");
    const late = "5a1c0a4e-0000-4000-8000-000000000002";
    store.applyEvent(ev("task-received", T0, { eta: new Date((T0 - 5) * 1000).toISOString() }, late));
    assert.equal(store.get(late)!.state, "RECEIVED");
  });

  test("a scheduled task of a worker that died is LOST", () => {
    const store = new TaskStore(100);
    store.applyEvent(ev("task-received", T0, { eta: new Date((T0 + 60) * 1000).toISOString() }));
    assert.equal(store.markLost("w1@vm", "gone", T0 * 1000 + 5000).length, 1);
    assert.equal(store.get(ID)!.state, "LOST");
  });
});

describe("reading the queues", () => {
  test("each non-empty list gets a fair share of the total, at most the bound per list", () => {
    const { reads, messages } = planReads(
      [
        {
          name: "big",
          messages_by_priority: [
            { priority: 0, messages: 1000 },
            { priority: 3, messages: 0 },
            { priority: 6, messages: 2 },
          ],
        },
        { name: "small", messages_by_priority: [{ priority: 0, messages: 5 }] },
      ],
      { perList: 100, total: 50 },
    );
    assert.equal(messages, 1007);
    assert.deepEqual(reads, [
      { queue: "big", step: 0, count: 43, ahead: 0 },
      { queue: "big", step: 6, count: 2, ahead: 1000 },
      { queue: "small", step: 0, count: 5, ahead: 0 },
    ]);
  });

  test("positions count across priority lists; truncation and undecodable messages are said; one read serves a while", async () => {
    const store = new TaskStore(100);
    let peeks = 0;
    const ids = ["5a1c0a4e-0000-4000-8000-00000000000a", "5a1c0a4e-0000-4000-8000-00000000000b"];
    const broker = {
      async peekLists(reads: ListRead[]) {
        peeks++;
        return reads.map((r) => (r.step === 0 ? [taskEnvelope(ids[0]!, 0), null] : [taskEnvelope(ids[1]!, 7)]));
      },
    };
    const waiting = new WaitingMessages(broker, store, { perList: 2, total: 10, freshMs: 60_000 });
    const queues = async () => [
      {
        name: "q",
        messages_by_priority: [
          { priority: 0, messages: 3 },
          { priority: 6, messages: 1 },
        ],
      },
    ];
    const read = await waiting.refresh(queues);
    assert.deepEqual({ ...read, readAt: null }, { read: 3, messages: 4, truncated: true, rejected: 1, readAt: null, error: null });
    assert.deepEqual(store.get(ids[1]!)!.waiting && { position: store.get(ids[1]!)!.waiting!.position, priority: store.get(ids[1]!)!.waiting!.priority }, {
      position: 4,
      priority: 7,
    });
    assert.deepEqual(waiting.inQueue("q"), ids);
    await waiting.refresh(queues);
    assert.equal(peeks, 1);
  });
});
