// LOST: the agent's verdict on tasks held by a worker that died or restarted (store.ts markLost,
// record.ts supersedesLost, registry.ts restart detection).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { CeleryEvent } from "../../agent/protocol/events";
import type { TaskMeta } from "../../agent/protocol/result-meta";
import { TaskStore } from "../../agent/sources/tasks/store";
import { WorkerRegistry } from "../../agent/sources/workers/registry";
import { taskRow } from "../../agent/handlers/present/tasks";
import { meta as baseMeta } from "./helpers/task-inputs";

const T0 = 1795558020;
const ms = (s: number) => Math.round(s * 1000);

function ev(type: string, id: string, ts: number, hostname = "w1@vm", fields: Record<string, unknown> = {}, pid: number | null = null): CeleryEvent {
  return { type, hostname, timestamp: ts, receivedAt: ms(ts), utcoffset: 0, clock: null, pid, fields: { type, hostname, timestamp: ts, uuid: id, ...fields } };
}

/** A backend write seen 100 ms after T0 (the helpers' meta, seen later). */
const meta = (id: string, status: string, over: Partial<TaskMeta> = {}): TaskMeta => baseMeta(id, status, { seenAt: ms(T0 + 100), ...over });

/** Every hot limit at 0 as well, so the packed form carries LOST too. */
for (const hot of [{}, { finished: 0, unfinished: 0 }]) {
  describe(`LOST tasks (${hot.finished === 0 ? "packed" : "held as objects"})`, () => {
    function store() {
      const s = new TaskStore(1000, hot);
      s.applyEvent(ev("task-received", "r1", T0));
      s.applyEvent(ev("task-received", "s1", T0));
      s.applyEvent(ev("task-started", "s1", T0 + 1));
      s.applyEvent(ev("task-received", "done", T0));
      s.applyEvent(ev("task-succeeded", "done", T0 + 2));
      s.applyEvent(ev("task-received", "other", T0, "w2@vm"));
      s.applyEvent(ev("task-sent", "pending", T0, "web@host"));
      return s;
    }

    test("only the received and started tasks of that worker are lost, with the worker, time and reason", () => {
      const s = store();
      const lost = s.markLost("w1@vm", "the worker went offline: no heartbeat for 5 s", ms(T0 + 10));
      assert.deepEqual(lost.map((t) => t.id).sort(), ["r1", "s1"]);
      for (const id of ["r1", "s1"]) {
        const t = s.get(id)!;
        assert.equal(t.state, "LOST");
        assert.deepEqual(t.lost, { worker: "w1@vm", at: ms(T0 + 10), reason: "the worker went offline: no heartbeat for 5 s" });
        assert.deepEqual(t.timeline.at(-1), {
          type: "lost",
          at: ms(T0 + 10),
          hostname: "w1@vm",
          source: "agent",
          detail: "the worker went offline: no heartbeat for 5 s",
        });
        assert.deepEqual(taskRow(t).lost, {
          worker: "w1@vm",
          at: new Date(ms(T0 + 10)).toISOString(),
          reason: "the worker went offline: no heartbeat for 5 s",
        });
      }
      assert.equal(s.get("done")!.state, "SUCCESS");
      assert.equal(s.get("other")!.state, "RECEIVED");
      assert.equal(s.get("pending")!.state, "PENDING");
      assert.equal(s.markLost("nobody@vm", "x", 0).length, 0);
    });

    test("filterable and counted as LOST; not running any more", () => {
      const s = store();
      s.markLost("w1@vm", "gone", ms(T0 + 10));
      const page = s.query({ states: ["LOST"] }, { by: "received", order: "desc" }, 50, null);
      assert.equal(page.total, 2);
      assert.deepEqual(page.tasks.map((t) => t.id).sort(), ["r1", "s1"]);
      assert.equal(s.countByState().get("LOST"), 2);
      assert.equal(s.countByStateSince(0).LOST, 2);
      assert.equal(s.inState("STARTED").size, 0);
      assert.equal(s.query({ states: ["RECEIVED", "STARTED"] }, { by: "received", order: "desc" }, 50, null).total, 1);
    });

    test("a later event (a redelivery) and a finished backend result supersede LOST", () => {
      const s = store();
      s.markLost("w1@vm", "gone", ms(T0 + 10));
      // acks_late: the message goes back to the queue and another worker takes it.
      s.applyEvent(ev("task-received", "r1", T0 + 20, "w2@vm"));
      assert.equal(s.get("r1")!.state, "RECEIVED");
      assert.equal(s.get("r1")!.worker, "w2@vm");
      assert.equal(s.get("r1")!.lost, null);
      s.applyMeta(meta("s1", "SUCCESS", { result: 7, dateDone: ms(T0 + 30) }));
      assert.equal(s.get("s1")!.state, "SUCCESS");
      assert.equal(s.get("s1")!.lost, null);
      assert.equal(s.countByState().get("LOST"), undefined);
    });

    test("the dead worker's STARTED record in the backend (read again by every backfill) does not revive it", () => {
      const s = store();
      s.markLost("w1@vm", "gone", ms(T0 + 10));
      s.applyMeta(meta("s1", "STARTED", { result: { pid: 1, hostname: "w1@vm" } }), false);
      s.applyMeta(meta("r1", "PENDING"));
      assert.equal(s.get("s1")!.state, "LOST");
      assert.equal(s.get("r1")!.state, "LOST");
    });
  });
}

describe("a worker restarting under the same name", () => {
  const hb = (pid: number, ts: number, fields: Record<string, unknown> = {}) => ({
    ...ev("worker-heartbeat", "", ts, "w1@vm", { freq: 2, active: 1, processed: 40, ...fields }, pid),
    fields: { freq: 2, active: 1, processed: 40, pid, ...fields },
  });

  test("a new pid is a restart: counters start again, and the listener hears the old pid first", () => {
    const reg = new WorkerRegistry({ running: () => [] }, () => ms(T0 + 10));
    const heard: [string, number, number | null][] = [];
    reg.onRestart((w, oldPid) => heard.push([w.name, oldPid, w.pid]));
    reg.applyEvent(hb(100, T0));
    reg.applyEvent(hb(100, T0 + 2));
    assert.deepEqual(heard, []);
    reg.applyEvent({ ...ev("worker-online", "", T0 + 5, "w1@vm", {}, 200), fields: { freq: 2, pid: 200 } });
    assert.deepEqual(heard, [["w1@vm", 100, 200]]);
    const w = reg.get("w1@vm")!;
    assert.equal(w.pid, 200);
    assert.equal(w.processed, null, "the old process's count is gone");
    assert.equal(w.restartedAt, ms(T0 + 5));
    reg.applyEvent(hb(200, T0 + 6, { processed: 1 }));
    assert.equal(w.processed, 1);
    assert.equal(reg.all().length, 1);
  });

  test("a heartbeat from a new pid is a restart only after the old process went quiet", () => {
    const reg = new WorkerRegistry({ running: () => [] }, () => ms(T0 + 60));
    let restarts = 0;
    reg.onRestart(() => restarts++);
    // Two live processes under one name: their heartbeats interleave; nobody restarted.
    for (let i = 0; i < 6; i++) reg.applyEvent(hb(i % 2 ? 300 : 301, T0 + i));
    assert.equal(restarts, 0);
    // The agent missed worker-online: the new process's first heartbeat, after a silence, tells it.
    reg.applyEvent(hb(400, T0 + 20));
    assert.equal(restarts, 1);
    assert.equal(reg.get("w1@vm")!.pid, 400);
  });
});
