// WorkerRegistry.responsive(): who a broadcast waits for. A worker whose heartbeat is overdue (more
// than 1.5 intervals) is still shown online but no longer waited for: it may have been killed.

import assert from "node:assert/strict";
import { test } from "node:test";

import type { CeleryEvent } from "../../agent/protocol/events";
import { WorkerRegistry } from "../../agent/sources/workers/registry";

const START = 1795558020000;

function hb(hostname: string, receivedAt: number): CeleryEvent {
  const timestamp = receivedAt / 1000;
  return {
    type: "worker-heartbeat",
    hostname,
    timestamp,
    receivedAt,
    utcoffset: 0,
    clock: null,
    pid: 1,
    fields: { type: "worker-heartbeat", hostname, timestamp, freq: 2.0 },
  };
}

test("a late heartbeat: still online, no longer waited for; an answer counts as being heard", () => {
  let now = START;
  const reg = new WorkerRegistry({ running: () => [] }, () => now);
  reg.applyEvent(hb("a@vm", START));
  reg.applyEvent(hb("b@vm", START));
  now = START + 3000;
  assert.deepEqual([...reg.responsive()].sort(), ["a@vm", "b@vm"], "1.5 intervals: still waited for");
  now = START + 3001;
  reg.applyEvent(hb("b@vm", START + 3001));
  assert.deepEqual([...reg.responsive()], ["b@vm"], "a@vm is overdue");
  assert.equal(reg.liveness(reg.get("a@vm")!).status, "online", "but still online by Celery's rule");
  reg.answered("a@vm", START + 3001);
  assert.deepEqual([...reg.responsive()].sort(), ["a@vm", "b@vm"], "it answered: alive");
});

test("right after start, workers known only by their binding are waited for; once heartbeats are due, no longer", () => {
  let now = START;
  const reg = new WorkerRegistry({ running: () => [] }, () => now);
  reg.applyBindings(["a@vm", "stale@vm"]);
  assert.deepEqual([...reg.responsive()].sort(), ["a@vm", "stale@vm"], "nobody heard yet: the bindings are the guess");
  reg.answered("a@vm", START + 20);
  now = START + 3001;
  assert.deepEqual([...reg.responsive()], ["a@vm"], "past the first heartbeat interval: only who was heard");
});
