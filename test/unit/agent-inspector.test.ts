// Shared remote-control reads: Inspector (agent/sources/workers/inspector.ts), over a fake transport
// that implements only `broadcast`.

import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { ReadOnlyControlMethod } from "../../agent/protocol/control";
import type { BroadcastOptions, BroadcastResult, RemoteControl } from "../../agent/protocol/transport";
import { FRESH_MS, Inspector } from "../../agent/sources/workers/inspector";

const NOW = 1795558020000;

interface Call {
  method: ReadOnlyControlMethod;
  args: Record<string, unknown>;
  opts: BroadcastOptions;
}

/** Answers every broadcast after a short real delay with canned replies (per method), or fails. */
class FakeTransport {
  readonly calls: Call[] = [];
  replies: Record<string, Record<string, unknown>> = {};
  early = true;
  fail: Error | null = null;
  constructor(private readonly delayMs = 15) {}

  async broadcast(method: ReadOnlyControlMethod, args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    this.calls.push({ method, args, opts });
    const fail = this.fail;
    const key = Object.keys(args).length ? `${method}:${JSON.stringify(args)}` : method;
    const canned = { ...(this.replies[key] ?? {}) };
    const early = this.early;
    await sleep(this.delayMs);
    if (fail) throw fail;
    const wanted = opts.destination ? Object.entries(canned).filter(([w]) => opts.destination!.includes(w)) : Object.entries(canned);
    return { replies: new Map(wanted), early, elapsedMs: this.delayMs };
  }
}

function setup(t: TestContext, expected: string[] = ["w1@vm", "w2@vm"]) {
  // Only Date is faked: the inspector's freshness clock. The fake transport's delay uses real timers.
  t.mock.timers.enable({ apis: ["Date"], now: NOW });
  const transport = new FakeTransport();
  const seen: [string, string, unknown, number][] = [];
  const expect = new Set(expected);
  const inspector = new Inspector(
    transport as unknown as RemoteControl,
    750,
    () => expect,
    (m, w, v, at) => seen.push([m, w, v, at]),
  );
  return { transport, inspector, seen, expect, tick: (ms: number) => t.mock.timers.tick(ms) };
}

const PONG = { "w1@vm": { ok: "pong" }, "w2@vm": { ok: "pong" } };
const STATS = { "w1@vm": { pid: 7513, pool: { "max-concurrency": 2 } }, "w2@vm": { pid: 7514, pool: { "max-concurrency": 1 } } };

describe("Inspector", () => {
  test("concurrent reads of the same method share one broadcast", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    const outcomes = await Promise.all([s.inspector.read("stats"), s.inspector.read("stats"), s.inspector.read("stats"), s.inspector.read("stats")]);
    assert.equal(s.transport.calls.length, 1);
    for (const o of outcomes) {
      assert.deepEqual(Object.fromEntries([...o.replies].map(([w, r]) => [w, r.value])), STATS);
      assert.deepEqual(o.missing, []);
      assert.equal(o.error, null);
    }
    assert.deepEqual(s.inspector.counters, { broadcasts: 1, early: 1, timeouts: 0, failed: 0, byMethod: { stats: 1 } });
  });

  test("the transport is asked with the timeout and the workers expected to answer", async (t) => {
    const s = setup(t);
    await s.inspector.read("ping");
    const call = s.transport.calls[0]!;
    assert.equal(call.method, "ping");
    assert.deepEqual(call.args, {});
    assert.equal(call.opts.timeoutMs, 750);
    assert.equal(call.opts.destination, undefined);
    assert.deepEqual([...call.opts.expect!], ["w1@vm", "w2@vm"]);
  });

  test("within the freshness window no new broadcast; after it, one", async (t) => {
    const s = setup(t);
    s.transport.replies.ping = PONG;
    assert.equal(FRESH_MS.ping, 1000);
    await s.inspector.read("ping");
    assert.equal(s.transport.calls.length, 1);
    s.tick(1000);
    const cached = await s.inspector.read("ping");
    assert.equal(s.transport.calls.length, 1, "exactly at the window edge the replies are still fresh");
    assert.equal(cached.replies.get("w1@vm")!.at, NOW, "cached replies keep the time they arrived");
    s.tick(1);
    const again = await s.inspector.read("ping");
    assert.equal(s.transport.calls.length, 2);
    assert.equal(again.replies.get("w1@vm")!.at, NOW + 1001);
  });

  test("methods are cached apart, each with its own window", async (t) => {
    const s = setup(t);
    s.transport.replies = { ping: PONG, registered: { "w1@vm": ["panel_fixture.add"], "w2@vm": ["panel_fixture.add"] } };
    await s.inspector.read("ping");
    await s.inspector.read("registered");
    assert.equal(s.transport.calls.length, 2);
    s.tick(5000);
    await s.inspector.read("registered"); // fresh for 30 s
    await s.inspector.read("ping"); // stale after 1 s
    assert.deepEqual(
      s.transport.calls.map((c) => c.method),
      ["ping", "registered", "ping"],
    );
  });

  test("different arguments (conf with_defaults) are cached apart", async (t) => {
    const s = setup(t);
    s.transport.replies = {
      conf: { "w1@vm": { broker_url: "redis://h/0" } },
      'conf:{"with_defaults":true}': { "w1@vm": { broker_url: "redis://h/0", worker_concurrency: 2 } },
    };
    const plain = await s.inspector.read("conf");
    const full = await s.inspector.read("conf", { args: { with_defaults: true } });
    assert.equal(s.transport.calls.length, 2);
    assert.deepEqual(s.transport.calls[1]!.args, { with_defaults: true });
    assert.deepEqual(plain.replies.get("w1@vm")!.value, { broker_url: "redis://h/0" });
    assert.deepEqual(full.replies.get("w1@vm")!.value, { broker_url: "redis://h/0", worker_concurrency: 2 });
    await s.inspector.read("conf");
    await s.inspector.read("conf", { args: { with_defaults: true } });
    assert.equal(s.transport.calls.length, 2, "both still fresh");
    assert.deepEqual(s.inspector.latest("conf", "w1@vm")!.value, { broker_url: "redis://h/0" });
    assert.deepEqual(s.inspector.latest("conf", "w1@vm", { with_defaults: true })!.value, { broker_url: "redis://h/0", worker_concurrency: 2 });
    assert.deepEqual(s.inspector.latestConf(), { broker_url: "redis://h/0" }, "latestConf reads the plain conf");
  });

  test("destination reads: only that worker asked and returned; fresh per worker", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    const o = await s.inspector.read("stats", { destination: ["w1@vm"] });
    assert.deepEqual(s.transport.calls[0]!.opts.destination, ["w1@vm"]);
    assert.deepEqual([...o.replies.keys()], ["w1@vm"]);
    assert.deepEqual(o.missing, []);
    await s.inspector.read("stats", { destination: ["w1@vm"] });
    assert.equal(s.transport.calls.length, 1, "w1 answered moments ago");
    const w2 = await s.inspector.read("stats", { destination: ["w2@vm"] });
    assert.equal(s.transport.calls.length, 2, "nothing fresh from w2");
    assert.deepEqual([...w2.replies.keys()], ["w2@vm"]);
    const ghost = await s.inspector.read("stats", { destination: ["ghost@vm"] });
    assert.deepEqual(ghost.missing, ["ghost@vm"]);
    assert.equal(ghost.replies.size, 0);
  });

  test("a destination read does not count as a broadcast to everyone", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    await s.inspector.read("stats", { destination: ["w1@vm"] });
    await s.inspector.read("stats");
    assert.equal(s.transport.calls.length, 2);
    // ...but a broadcast's replies serve a destination read while fresh.
    await s.inspector.read("stats", { destination: ["w2@vm"] });
    assert.equal(s.transport.calls.length, 2);
  });

  test("an expected worker that missed the last broadcast is asked again, at most once a second", async (t) => {
    const s = setup(t);
    s.transport.replies.registered = { "w1@vm": ["panel_fixture.add"] }; // w2 busy for a moment
    const first = await s.inspector.read("registered");
    assert.deepEqual(first.missing, ["w2@vm"]);
    s.tick(1000);
    await s.inspector.read("registered");
    assert.equal(s.transport.calls.length, 1, "not within a second of the last broadcast");
    s.transport.replies.registered = { "w1@vm": ["panel_fixture.add"], "w2@vm": ["panel_fixture.add"] };
    s.tick(1);
    const second = await s.inspector.read("registered");
    assert.equal(s.transport.calls.length, 2, "registered is fresh for 30 s, but w2 has no reply");
    assert.deepEqual(second.missing, []);
    s.tick(5000);
    await s.inspector.read("registered");
    assert.equal(s.transport.calls.length, 2, "everyone expected has a fresh reply: no broadcast");
  });

  test("a worker not expected (offline or busy) does not cause re-broadcasts", async (t) => {
    const s = setup(t, ["w1@vm"]);
    s.transport.replies.registered = { "w1@vm": [] };
    await s.inspector.read("registered");
    s.tick(5000);
    const o = await s.inspector.read("registered");
    assert.equal(s.transport.calls.length, 1);
    assert.deepEqual(o.missing, []);
  });

  test("missing: expected workers that did not answer", async (t) => {
    const s = setup(t, ["w1@vm", "w2@vm", "w3@vm"]);
    s.transport.replies.ping = PONG;
    s.transport.early = false;
    const o = await s.inspector.read("ping");
    assert.deepEqual(o.missing, ["w3@vm"]);
    assert.deepEqual(s.inspector.counters, { broadcasts: 1, early: 0, timeouts: 1, failed: 0, byMethod: { ping: 1 } });
  });

  test("a failed broadcast comes back as `error`, with cached replies still returned; the next read retries", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    await s.inspector.read("stats");
    s.tick(FRESH_MS.stats + 1);
    s.transport.fail = new Error("broker unavailable: connect ECONNREFUSED 127.0.0.1:6379");
    const o = await s.inspector.read("stats");
    assert.equal(o.error, "broker unavailable: connect ECONNREFUSED 127.0.0.1:6379");
    assert.deepEqual([...o.replies.keys()], ["w1@vm", "w2@vm"]);
    assert.equal(o.replies.get("w1@vm")!.at, NOW, "the old replies, with their old time");
    assert.deepEqual(o.missing, []);
    assert.equal(s.inspector.counters.failed, 1);
    assert.equal(s.inspector.counters.broadcasts, 2);
    s.transport.fail = null;
    const ok = await s.inspector.read("stats");
    assert.equal(ok.error, null);
    assert.equal(s.transport.calls.length, 3, "a failure does not count as fresh");
  });

  test("a failure with nothing cached: no replies, everyone missing; concurrent callers share the error", async (t) => {
    const s = setup(t);
    s.transport.fail = new Error("timeout");
    const [a, b] = await Promise.all([s.inspector.read("active"), s.inspector.read("active")]);
    assert.equal(s.transport.calls.length, 1);
    for (const o of [a, b]) {
      assert.equal(o.error, "timeout");
      assert.equal(o.replies.size, 0);
      assert.deepEqual(o.missing, ["w1@vm", "w2@vm"]);
    }
  });

  test("onReply is called once per reply with method, worker, value and time", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    await Promise.all([s.inspector.read("stats"), s.inspector.read("stats")]);
    assert.deepEqual(s.seen, [
      ["stats", "w1@vm", STATS["w1@vm"], NOW],
      ["stats", "w2@vm", STATS["w2@vm"], NOW],
    ]);
    await s.inspector.read("stats"); // cached: no new replies, no calls
    assert.equal(s.seen.length, 2);
  });

  test("counters: early vs timeout per broadcast, per method", async (t) => {
    const s = setup(t);
    s.transport.replies = { ping: PONG, stats: STATS };
    await s.inspector.read("ping");
    s.transport.early = false;
    await s.inspector.read("stats");
    s.tick(2001);
    s.transport.early = true;
    await s.inspector.read("stats");
    await s.inspector.read("ping");
    assert.deepEqual(s.inspector.counters, { broadcasts: 4, early: 3, timeouts: 1, failed: 0, byMethod: { ping: 2, stats: 2 } });
  });

  test("forget(worker) drops its cached replies", async (t) => {
    const s = setup(t);
    s.transport.replies.stats = STATS;
    await s.inspector.read("stats");
    s.inspector.forget("w2@vm");
    assert.equal(s.inspector.latest("stats", "w2@vm"), undefined);
    assert.notEqual(s.inspector.latest("stats", "w1@vm"), undefined);
    const o = await s.inspector.read("stats");
    assert.deepEqual(o.missing, ["w2@vm"]);
  });
});
