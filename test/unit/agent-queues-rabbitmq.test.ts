// Queues on RabbitMQ (agent/sources/queues.ts, shaped by handlers/present/queues.ts): names from task-sent events where the broker lists
// none, and what a depth from the management API or a passive declare adds (unacked, consumers, arguments).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { QueueDepth, QueueInventory } from "../../agent/protocol/transport";
import { queueSummary } from "../../agent/handlers/present/queues";
import { countQueues, mergeQueues, type QueueInputs } from "../../agent/sources/queues";

/** The queues counted by the source and shaped as the Queues view shows them. */
const queueSummaries = async (...args: Parameters<typeof countQueues>) => (await countQueues(...args)).map(queueSummary);

function inputs(over: Partial<QueueInputs>): QueueInputs {
  return { bindings: [], activeQueues: new Map(), configured: [], routed: [], online: () => true, prefetch: () => null, ...over };
}

function inventory(depths: Record<string, QueueDepth>): QueueInventory {
  return {
    bindings: async () => [],
    queueDepths: async (names) => new Map(names.filter((n) => depths[n]).map((n) => [n, depths[n]!])),
    messagePeek: null,
    unackedReader: null,
  };
}

describe("queues named by task-sent events", () => {
  test("a queue only tasks were sent to is listed, found in events", () => {
    const merged = mergeQueues(inputs({ sentTo: ["parked"] }));
    assert.deepEqual([...merged.get("parked")!.declaredIn], ["events"]);
  });

  test("without sentTo (a broker that lists its queues), nothing is added", () => {
    assert.equal(mergeQueues(inputs({})).size, 0);
  });
});

describe("queueSummaries with RabbitMQ's depths", () => {
  test("unacked, consumer count, arguments, type and max priority from the broker", async () => {
    const merged = mergeQueues(inputs({ sentTo: ["prio"] }));
    const [q] = await queueSummaries(
      inventory({
        prio: {
          messages: 4,
          byPriority: [],
          consumers: 2,
          exists: true,
          unacknowledged: 3,
          arguments: { "x-max-priority": 10, "x-queue-type": "classic" },
          queueType: "classic",
        },
      }),
      merged,
    );
    assert.equal(q?.messages, 4);
    assert.equal(q?.unacked, 3);
    assert.equal(q?.consumer_count, 2);
    assert.equal(q?.max_priority, 10);
    assert.equal(q?.queue_type, "classic");
    assert.deepEqual(q?.arguments, { "x-max-priority": 10, "x-queue-type": "classic" });
    // One count on RabbitMQ: no per-priority split.
    assert.deepEqual(q?.messages_by_priority, []);
  });

  test("a probe's depth: ready and consumers, unacked unknown", async () => {
    const [q] = await queueSummaries(
      inventory({ work: { messages: 2, byPriority: [], consumers: 1, exists: true } }),
      mergeQueues(inputs({ sentTo: ["work"] })),
    );
    assert.equal(q?.unacked, null);
    assert.equal(q?.consumer_count, 1);
    assert.equal(q?.arguments, null);
  });
});
