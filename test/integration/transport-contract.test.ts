/**
 * The transport contract: the same tests against every transport the agent can open
 * (test/harness/transports.ts), each on a private broker with a real Celery worker, through
 * protocol/brokers.ts's openBroker as the agent opens it. A broadcast returns as soon as the
 * worker answers; the worker's task events arrive; queue depths are counted and the worker's queue
 * and pidbox are seen; junk on the event channel is rejected by reason; the transport writes only
 * what remote control needs; after the broker restarts it says unavailable, then connected, and
 * events flow again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBroker } from "../../agent/protocol/brokers";
import type { CeleryEvent } from "../../agent/protocol/events";
import type { BrokerTransport, ConnectionState } from "../../agent/protocol/transport";
import { TRANSPORTS_UNDER_TEST, type BrokerUnderTest } from "../harness/transports";
import { CeleryWorker, eventually, runPython, stopAll } from "../harness/deployment";

const WORKER = "contract@panel";
const QUEUE = "contract";
const PARKED = "contract-parked";
/** Long, so that returning early is unmistakable. */
const LONG_TIMEOUT_MS = 30_000;

after(() => stopAll());

for (const transport of TRANSPORTS_UNDER_TEST) {
  describe(`transport contract: ${transport.name}`, () => {
    let b: BrokerUnderTest;
    let broker: BrokerTransport;
    let worker: CeleryWorker;
    let writes: Awaited<ReturnType<BrokerUnderTest["watchWrites"]>>;
    const events: CeleryEvent[] = [];
    const states: ConnectionState[] = [];
    const sendTask = async (queue: string) =>
      (await runPython(`import panel_fixture as p; print(p.add.apply_async((2, 3), queue=${JSON.stringify(queue)}).id)`, b.url, b.backend, b.env)).trim();
    const taskEvent = (id: string, type: string) => events.some((e) => e.type === type && e.fields.uuid === id);

    before(async () => {
      b = await transport.start();
      writes = await b.watchWrites();
      broker = openBroker(b.url, b.transportOptions);
      broker.events.onEvent((e) => events.push(e));
      broker.onStatus((s) => states.push(s.state));
      await broker.start();
      worker = await CeleryWorker.start({ name: WORKER, pool: "solo", queues: [QUEUE], broker: b.url, backend: b.backend, env: b.env });
    });

    after(async () => {
      await broker?.close();
      await worker?.stop();
      await b?.destroy();
    });

    it("connects", async () => {
      await eventually(async () => broker.status().state === "connected", 10_000, "connected");
    });

    it("broadcast: a real worker answers, and the call returns as soon as it has", async () => {
      // The worker's pidbox may be a moment behind its "ready": ask briefly until it answers once.
      await eventually(async () => (await broker.control.broadcast("ping", {}, { timeoutMs: 1000 })).replies.has(WORKER), 20_000, "first ping answered");
      const r = await broker.control.broadcast("ping", {}, { timeoutMs: LONG_TIMEOUT_MS, expect: new Set([WORKER]) });
      assert.deepEqual([...r.replies.keys()], [WORKER]);
      assert.deepEqual(r.replies.get(WORKER), { ok: "pong" });
      assert.equal(r.early, true, "stopped because everyone expected answered");
      assert.ok(r.elapsedMs < LONG_TIMEOUT_MS / 2, `returned after ${Math.round(r.elapsedMs)} ms, not at the ${LONG_TIMEOUT_MS} ms timeout`);
    });

    it("a long run of requests: the worker decodes every one and keeps answering", async () => {
      // Each request carries a growing clock: its numbers must reach the worker's client in a type it
      // reads (on RabbitMQ, a clock from 128 on was sent as a 16-bit integer py-amqp cannot read, and
      // the worker's consumer stopped).
      for (let i = 0; i < 300; i++) {
        const r = await broker.control.broadcast("ping", {}, { timeoutMs: 5000, expect: new Set([WORKER]) });
        assert.ok(r.replies.has(WORKER), `request ${i + 1} was not answered`);
      }
      assert.doesNotMatch(worker.output(), /UnicodeDecodeError|Traceback/);
    });

    it("events: a real worker's task events arrive through onEvent", async () => {
      const id = await sendTask(QUEUE);
      await eventually(async () => taskEvent(id, "task-received") && taskEvent(id, "task-succeeded"), 30_000, `events of task ${id}`);
      // On RabbitMQ the worker's worker-online may predate the event queue (celeryev only exists once a
      // worker has started): its heartbeats, every 2 s, come through.
      await eventually(async () => events.some((e) => e.hostname === WORKER && e.type.startsWith("worker-")), 10_000, "and the worker's own events");
    });

    it("queues: messages nobody consumes are counted; the worker's queue and pidbox are seen", async () => {
      const inventory = broker.queues;
      assert.ok(inventory, "this transport lists its queues");
      for (let i = 0; i < 3; i++) await sendTask(PARKED);
      const depths = await inventory.queueDepths([PARKED, "never-declared"]);
      assert.equal(depths.get(PARKED)?.messages, 3);
      assert.equal(depths.get("never-declared")?.messages, 0);
      if (b.listsBindings) {
        const bound = (await inventory.bindings()).map((x) => x.queue);
        assert.ok(bound.includes(QUEUE), `the worker's queue is bound: ${bound.join(", ")}`);
      } else {
        // No bindings without a management API: the broker still tells who consumes the queue.
        const own = (await inventory.queueDepths([QUEUE])).get(QUEUE);
        assert.equal(own?.consumers, 1, "the worker consumes its queue");
        assert.equal(depths.get("never-declared")?.exists, false, "a queue that does not exist is said to be absent");
      }
      assert.ok((await broker.control.pidboxWorkers()).includes(WORKER), "the worker consumes remote control");
      // A broker that cannot read messages in place says so in its type (messagePeek: null).
      if (inventory.messagePeek) {
        const waiting = await inventory.messagePeek.peekLists([{ queue: PARKED, step: 0, count: 10 }]);
        assert.equal(waiting[0]!.length, 3, "the waiting messages read in place");
      }
      assert.equal((await inventory.queueDepths([PARKED])).get(PARKED)?.messages, 3, "and left there");
    });

    it("junk on the event channel is rejected and counted by reason", async () => {
      const before = broker.events.rejected();
      await b.publishOnEventChannel("this is not a kombu message");
      const grown = await eventually(
        async () => {
          const now = broker.events.rejected();
          return Object.keys(now).find((reason) => now[reason]! > (before[reason] ?? 0)) ?? null;
        },
        10_000,
        "a rejection counted",
      );
      assert.match(grown, /\w/);
    });

    it("writes nothing but what remote control needs", async () => {
      const { seen, unneeded } = await writes.stop();
      assert.ok(seen >= b.leastSeen, `the transport's doings were watched (${seen})`);
      assert.deepEqual(unneeded, []);
    });

    it("reconnects after the broker restarts: unavailable, then connected, and events flow again", async () => {
      states.length = 0;
      await b.stop();
      await eventually(async () => broker.status().state === "unavailable", 15_000, "unavailable");
      await b.restart();
      await eventually(async () => broker.status().state === "connected", 15_000, "connected again");
      assert.deepEqual([states[0], states.at(-1)], ["unavailable", "connected"]);
      // The worker reconnects on its own; once it does, its task's events come through the new subscription.
      const id = await sendTask(QUEUE);
      await eventually(async () => taskEvent(id, "task-succeeded"), 60_000, `events of task ${id} after the restart`);
    });
  });
}
