// Queues merged from broker bindings, workers' active_queues and configured task_queues
// (agent/sources/queues.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { ExchangeBinding, UnackedSummary } from "../../agent/protocol/transport";
import { isPlumbing, mergeQueues, readQueueDeclaration, unackedPerQueue, type QueueDeclaration, type QueueInputs } from "../../agent/sources/queues";

/** One entry of `inspect active_queues` from Celery 5.2 (kombu Queue.as_dict(recurse=True)). */
function activeQueue(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    exchange: { name, type: "direct", arguments: null, durable: true, passive: false, auto_delete: false, delivery_mode: null, no_declare: false },
    routing_key: name,
    queue_arguments: null,
    binding_arguments: null,
    consumer_arguments: null,
    durable: true,
    exclusive: false,
    auto_delete: false,
    no_ack: false,
    alias: null,
    bindings: [],
    no_declare: null,
    expires: null,
    message_ttl: null,
    max_length: null,
    max_length_bytes: null,
    max_priority: null,
    ...over,
  };
}

const decl = (q: unknown) => readQueueDeclaration(q)!;
const binding = (exchange: string, routingKey: string, queue: string, pattern = ""): ExchangeBinding => ({ exchange, routingKey, pattern, queue });

function inputs(over: Partial<QueueInputs>): QueueInputs {
  return { bindings: [], activeQueues: new Map(), configured: [], routed: [], online: () => true, prefetch: () => null, ...over };
}

describe("readQueueDeclaration", () => {
  test("a Celery active_queues entry", () => {
    assert.deepEqual(readQueueDeclaration(activeQueue("celery")), {
      name: "celery",
      exchange: "celery",
      exchangeType: "direct",
      routingKey: "celery",
      durable: true,
      maxPriority: null,
    });
  });

  test("a topic queue with its own routing key", () => {
    const q = activeQueue("orders", { exchange: { name: "events", type: "topic" }, routing_key: "orders.#", durable: false });
    assert.deepEqual(readQueueDeclaration(q), {
      name: "orders",
      exchange: "events",
      exchangeType: "topic",
      routingKey: "orders.#",
      durable: false,
      maxPriority: null,
    });
  });

  test('a routing key masked by Celery\'s conf ("********") tells nothing: null', () => {
    assert.equal(decl(activeQueue("celery", { routing_key: "********" })).routingKey, null);
  });

  test("max priority from max_priority, else queue_arguments x-max-priority", () => {
    assert.equal(decl(activeQueue("p", { queue_arguments: { "x-max-priority": 10 } })).maxPriority, 10);
    assert.equal(decl(activeQueue("p", { max_priority: 5, queue_arguments: { "x-max-priority": 10 } })).maxPriority, 5);
    assert.equal(decl(activeQueue("p", { queue_arguments: { "x-max-priority": "10" } })).maxPriority, null);
  });

  test("a minimal dict: only the name is needed", () => {
    assert.deepEqual(readQueueDeclaration({ name: "bare" }), {
      name: "bare",
      exchange: null,
      exchangeType: null,
      routingKey: null,
      durable: null,
      maxPriority: null,
    });
  });

  test("not a queue dict -> null", () => {
    for (const v of [null, "celery", ["celery"], {}, { name: 5 }, { exchange: { name: "x" } }]) assert.equal(readQueueDeclaration(v), null, JSON.stringify(v));
  });
});

describe("isPlumbing", () => {
  test("Celery's remote-control and event exchanges/queues", () => {
    assert.equal(isPlumbing("celery.pidbox", "w1@vm.celery.pidbox"), true);
    assert.equal(isPlumbing("reply.celery.pidbox", "a9b8.reply.celery.pidbox"), true);
    assert.equal(isPlumbing("celeryev", "celeryev.5b1c"), true);
    assert.equal(isPlumbing("other", "celeryev.x"), true);
    assert.equal(isPlumbing("celery", "celery"), false);
    assert.equal(isPlumbing("celeryevents", "celeryevents"), false);
  });
});

describe("mergeQueues", () => {
  test("a queue known only from broker bindings (nobody consumes it)", () => {
    const out = mergeQueues(inputs({ bindings: [binding("parked", "parked", "parked")] }));
    assert.deepEqual([...out.keys()], ["parked"]);
    const q = out.get("parked")!;
    assert.deepEqual([...q.declaredIn], ["broker"]);
    assert.deepEqual(q.consumers, []);
    assert.deepEqual(q.bindings, [{ exchange: "parked", routing_key: "parked", pattern: "" }]);
    assert.equal(q.exchange, "parked");
    assert.equal(q.routingKey, "parked");
    assert.equal(q.exchangeType, null, "a direct binding does not say its type");
  });

  test("plumbing bindings are left out", () => {
    const out = mergeQueues(
      inputs({
        bindings: [
          binding("celery.pidbox", "", "w1@vm.celery.pidbox"),
          binding("reply.celery.pidbox", "a9b8", "a9b8.reply.celery.pidbox"),
          binding("celeryev", "worker.#", "celeryev.5b1c2d"),
          binding("celery", "celery", "celery"),
        ],
      }),
    );
    assert.deepEqual([...out.keys()], ["celery"]);
  });

  test("a topic binding marks the exchange type when nothing else did", () => {
    const out = mergeQueues(inputs({ bindings: [binding("events", "orders.*", "orders", "^orders\\..*?[^\\.]$")] }));
    assert.equal(out.get("orders")!.exchangeType, "topic");
  });

  test("a queue only in the configuration: no consumer", () => {
    const out = mergeQueues(inputs({ configured: [decl(activeQueue("reports", { queue_arguments: { "x-max-priority": 9 } }))] }));
    const q = out.get("reports")!;
    assert.deepEqual([...q.declaredIn], ["config"]);
    assert.deepEqual(q.consumers, []);
    assert.equal(q.maxPriority, 9);
    assert.equal(q.exchangeType, "direct");
  });

  test("consumers with their online flag and prefetch", () => {
    const activeQueues = new Map<string, QueueDeclaration[]>([
      ["w1@vm", [decl(activeQueue("celery"))]],
      ["w2@vm", [decl(activeQueue("celery")), decl(activeQueue("high"))]],
    ]);
    const out = mergeQueues(inputs({ activeQueues, online: (w) => w === "w1@vm", prefetch: (w) => (w === "w1@vm" ? 8 : null) }));
    assert.deepEqual(out.get("celery")!.consumers, [
      { worker: "w1@vm", online: true, prefetch_count: 8 },
      { worker: "w2@vm", online: false, prefetch_count: null },
    ]);
    assert.deepEqual(out.get("high")!.consumers, [{ worker: "w2@vm", online: false, prefetch_count: null }]);
    assert.deepEqual([...out.get("high")!.declaredIn], ["workers"]);
  });

  test("all three sources merge into one queue; workers' declaration fills first", () => {
    const out = mergeQueues(
      inputs({
        activeQueues: new Map([["w1@vm", [decl(activeQueue("celery", { max_priority: null }))]]]),
        configured: [decl(activeQueue("celery", { routing_key: "********", max_priority: 10 }))],
        bindings: [binding("celery", "celery", "celery")],
      }),
    );
    assert.equal(out.size, 1);
    const q = out.get("celery")!;
    assert.deepEqual([...q.declaredIn].sort(), ["broker", "config", "workers"]);
    assert.equal(q.routingKey, "celery");
    assert.equal(q.maxPriority, 10, "a field the workers did not give comes from config");
    assert.equal(q.consumers.length, 1);
    assert.equal(q.bindings.length, 1);
  });

  test("routed names exist for producers even if undeclared; known ones are not re-marked", () => {
    const out = mergeQueues(inputs({ bindings: [binding("celery", "celery", "celery")], routed: ["ghost", "celery"] }));
    assert.deepEqual([...out.get("ghost")!.declaredIn], ["config"]);
    assert.deepEqual([...out.get("celery")!.declaredIn], ["broker"]);
  });
});

describe("unackedPerQueue", () => {
  const summary = (rows: [string, number, number | null][]): UnackedSummary => ({
    total: rows.reduce((a, [, n]) => a + n, 0),
    byRoutingKey: new Map(rows.map(([rk, n]) => [rk, n])),
    oldestByRoutingKey: new Map(rows.filter(([, , o]) => o !== null).map(([rk, , o]) => [rk, o!])),
    complete: true,
  });

  const queues = mergeQueues(
    inputs({
      activeQueues: new Map([["w1@vm", [decl(activeQueue("celery")), decl(activeQueue("high", { routing_key: "priority.high" }))]]]),
      configured: [decl({ name: "parked", routing_key: "********" })],
      bindings: [
        binding("events", "orders.*", "orders", "^orders\\..*?[^\\.]$"),
        binding("bcast", "shared", "left"),
        binding("bcast", "shared", "right"),
        binding("weird", "x", "weird", "(unclosed"),
      ],
    }),
  );

  test("by routing key, by topic pattern, by queue name; oldest is the minimum", () => {
    const out = unackedPerQueue(
      queues,
      summary([
        ["celery", 3, 1795558000],
        ["priority.high", 1, 1795558100],
        ["orders.eu", 2, 1795558040],
        ["orders.us", 1, 1795558050],
        ["parked", 4, null],
        ["nowhere", 9, 1],
      ]),
    );
    assert.deepEqual(Object.fromEntries(out), {
      celery: { count: 3, oldest: 1795558000 },
      high: { count: 1, oldest: 1795558100 },
      orders: { count: 3, oldest: 1795558040 },
      parked: { count: 4, oldest: null },
    });
  });

  test("a routing key bound to two queues counts in both", () => {
    const out = unackedPerQueue(queues, summary([["shared", 2, 10]]));
    assert.deepEqual(Object.fromEntries(out), { left: { count: 2, oldest: 10 }, right: { count: 2, oldest: 10 } });
  });

  test("a topic pattern does not match outside its words; an invalid pattern is skipped", () => {
    const out = unackedPerQueue(
      queues,
      summary([
        ["orders.", 1, 5],
        ["x", 1, 5],
        ["(unclosed", 1, 5],
      ]),
    );
    assert.deepEqual(Object.fromEntries(out), { weird: { count: 1, oldest: 5 } });
  });
});
