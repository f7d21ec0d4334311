// Inspector.cached (agent/sources/workers/inspector.ts): the replies held for every expected worker,
// at once, with a stale answer refreshed in the background through the usual shared broadcast.

import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { ReadOnlyControlMethod } from "../../agent/protocol/control";
import type { BroadcastOptions, BroadcastResult, RemoteControl } from "../../agent/protocol/transport";
import { FRESH_MS, Inspector } from "../../agent/sources/workers/inspector";

class FakeTransport {
  calls = 0;
  replies: Record<string, unknown> = { "w1@vm": [1], "w2@vm": [] };
  async broadcast(_m: ReadOnlyControlMethod, _a: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    this.calls++;
    await sleep(5);
    const wanted = Object.entries(this.replies).filter(([w]) => !opts.destination || opts.destination.includes(w));
    return { replies: new Map(wanted), early: true, elapsedMs: 5 };
  }
}

test("held replies: none until every expected worker answered once, then at once, refreshed when stale", async (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 1795558020000 });
  const transport = new FakeTransport();
  const expected = new Set(["w1@vm", "w2@vm"]);
  const inspector = new Inspector(transport as unknown as RemoteControl, 500, () => expected);
  assert.equal(inspector.cached("active"), null, "nothing held yet");
  await inspector.read("active");
  assert.equal(transport.calls, 1);
  const held = inspector.cached("active")!;
  assert.deepEqual(Object.fromEntries([...held.replies].map(([w, r]) => [w, r.value])), { "w1@vm": [1], "w2@vm": [] });
  assert.equal(transport.calls, 1, "fresh: no broadcast");
  t.mock.timers.tick(FRESH_MS.active + 1);
  transport.replies = { "w1@vm": [], "w2@vm": [] };
  const stale = inspector.cached("active")!;
  assert.deepEqual(
    [...stale.replies.values()].map((r) => r.value),
    [[1], []],
    "the held (stale) answer, at once",
  );
  assert.equal(transport.calls, 2, "and one refresh started");
  assert.equal(inspector.cached("active") !== null, true);
  assert.equal(transport.calls, 2, "concurrent callers share that refresh");
  await sleep(20);
  assert.deepEqual(
    [...inspector.cached("active")!.replies.values()].map((r) => r.value),
    [[], []],
    "refreshed",
  );
  expected.add("w3@vm");
  assert.equal(inspector.cached("active"), null, "a worker never heard from: the caller waits");
});
