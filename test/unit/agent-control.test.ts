// Celery remote control: buildControlRequest, readControlReply, ReplyCollector (agent/protocol/control.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  assertReadOnly,
  buildControlRequest,
  readControlReply,
  READ_ONLY_METHODS,
  ReplyCollector,
  type ReadOnlyControlMethod,
} from "../../agent/protocol/control";
import type { Envelope } from "../../agent/protocol/envelope";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const build = (method: string, destination?: string[], timeoutMs = 1000, args: Record<string, unknown> = {}) =>
  buildControlRequest(method as ReadOnlyControlMethod, args, "reply.celery.pidbox", "R-1", destination, timeoutMs);

describe("buildControlRequest refuses anything that changes a worker", () => {
  const WRITE_METHODS = [
    "revoke",
    "shutdown",
    "pool_grow",
    "pool_shrink",
    "enable_events",
    "disable_events",
    "rate_limit",
    "time_limit",
    "add_consumer",
    "cancel_consumer",
    "autoscale",
    "pool_restart",
    "terminate",
    "heartbeat",
    "election",
    "memdump",
    "objgraph",
    "dump_conf",
    "",
    "PING",
    "stats ",
    "constructor",
    "__proto__",
    "toString",
  ];
  for (const method of WRITE_METHODS) {
    test(`"${method}" throws, naming the method`, () => {
      assert.throws(
        () => build(method),
        (e: Error) => e.message.includes(`"${method}"`) && /read-only/.test(e.message),
      );
      assert.throws(() => assertReadOnly(method), /read-only/);
    });
  }

  test("exactly the read-only methods are accepted", () => {
    assert.deepEqual([...READ_ONLY_METHODS].sort(), [
      "active",
      "active_queues",
      "clock",
      "conf",
      "ping",
      "query_task",
      "registered",
      "report",
      "reserved",
      "revoked",
      "scheduled",
      "stats",
    ]);
    for (const m of READ_ONLY_METHODS) assert.doesNotThrow(() => build(m));
  });
});

describe("buildControlRequest: the request", () => {
  test("body shape of a broadcast (destination null)", () => {
    const r = build("stats");
    assert.match(r.ticket, UUID);
    assert.deepEqual(r.body, {
      method: "stats",
      arguments: {},
      destination: null,
      pattern: null,
      matcher: null,
      ticket: r.ticket,
      reply_to: { exchange: "reply.celery.pidbox", routing_key: "R-1" },
    });
  });

  test("destination: a list is kept, an empty list or undefined means everyone (null)", () => {
    assert.deepEqual(build("ping", ["w1@vm", "w2@vm"]).body.destination, ["w1@vm", "w2@vm"]);
    assert.equal(build("ping", []).body.destination, null);
    assert.equal(build("ping", undefined).body.destination, null);
  });

  test("arguments passed through (conf with_defaults, query_task ids)", () => {
    assert.deepEqual(build("conf", undefined, 1000, { with_defaults: true }).body.arguments, { with_defaults: true });
    assert.deepEqual(build("query_task", undefined, 1000, { ids: ["a", "b"] }).body.arguments, { ids: ["a", "b"] });
  });

  test("every request gets its own ticket and a growing clock", () => {
    const a = build("ping");
    const b = build("ping");
    assert.notEqual(a.ticket, b.ticket);
    assert.equal(typeof a.headers.clock, "number");
    assert.equal(b.headers.clock, (a.headers.clock as number) + 1);
  });

  test("headers.expires is now + timeout, in unix seconds", () => {
    const before = Date.now() / 1000;
    const r = build("stats", undefined, 2500);
    const after = Date.now() / 1000;
    const expires = r.headers.expires as number;
    assert.ok(expires >= before + 2.5 && expires <= after + 2.5, `${expires} not in [${before + 2.5}, ${after + 2.5}]`);
  });
});

describe("readControlReply", () => {
  const env = (headers: Record<string, unknown>, body: unknown): Envelope => ({ headers, properties: {}, contentType: "application/json", body });

  test("a reply with our ticket gives [worker, reply] pairs", () => {
    const reply = { pid: 7513, pool: { "max-concurrency": 2 } };
    assert.deepEqual(readControlReply(env({ ticket: "T1", clock: 9 }, { "w1@vm": reply }), "T1"), [["w1@vm", reply]]);
  });

  test("another ticket, no ticket, or a body that is not an object -> null", () => {
    assert.equal(readControlReply(env({ ticket: "T2" }, { "w1@vm": { ok: "pong" } }), "T1"), null);
    assert.equal(readControlReply(env({}, { "w1@vm": { ok: "pong" } }), "T1"), null);
    assert.equal(readControlReply(env({ ticket: "T1" }, [["w1@vm", 1]]), "T1"), null);
    assert.equal(readControlReply(env({ ticket: "T1" }, "pong"), "T1"), null);
    assert.equal(readControlReply(env({ ticket: "T1" }, null), "T1"), null);
  });
});

describe("ReplyCollector: when a broadcast may stop early", () => {
  test("expect: complete once every expected worker answered; others do not count", () => {
    const c = new ReplyCollector(undefined, new Set(["w1@vm", "w2@vm"]));
    assert.equal(c.complete, false);
    c.add("w1@vm", { ok: "pong" });
    assert.equal(c.complete, false);
    c.add("stranger@vm", { ok: "pong" });
    assert.equal(c.complete, false);
    c.add("w2@vm", { ok: "pong" });
    assert.equal(c.complete, true);
    assert.deepEqual([...c.replies.keys()], ["w1@vm", "stranger@vm", "w2@vm"]);
  });

  test("destination wins over expect", () => {
    const c = new ReplyCollector(["w3@vm"], new Set(["w1@vm", "w2@vm"]));
    c.add("w1@vm", 1);
    c.add("w2@vm", 2);
    assert.equal(c.complete, false);
    c.add("w3@vm", 3);
    assert.equal(c.complete, true);
  });

  test("an empty destination falls back to expect", () => {
    const c = new ReplyCollector([], new Set(["w1@vm"]));
    c.add("w1@vm", 1);
    assert.equal(c.complete, true);
  });

  test("empty or missing expect: never complete (the broadcast runs to its timeout)", () => {
    for (const c of [new ReplyCollector(undefined, new Set()), new ReplyCollector(undefined, undefined), new ReplyCollector([], new Set())]) {
      assert.equal(c.complete, false);
      c.add("w1@vm", 1);
      c.add("w2@vm", 2);
      assert.equal(c.complete, false);
      assert.equal(c.replies.size, 2);
    }
  });

  test("a second reply from the same worker replaces the first", () => {
    const c = new ReplyCollector(["w1@vm"], undefined);
    c.add("w1@vm", "first");
    c.add("w1@vm", "second");
    assert.equal(c.replies.get("w1@vm"), "second");
    assert.equal(c.complete, true);
  });

  test("the expect set given is not modified", () => {
    const expect = new Set(["w1@vm"]);
    const c = new ReplyCollector(undefined, expect);
    c.add("w1@vm", 1);
    assert.equal(c.complete, true);
    assert.deepEqual([...expect], ["w1@vm"]);
  });
});
