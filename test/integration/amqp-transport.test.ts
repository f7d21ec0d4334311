/**
 * The AMQP transport where the contract suite does not reach, on a private RabbitMQ node: Celery's
 * URL forms against the real node (empty vhost, "//", "%2F", pyamqp://, an encoded vhost and
 * password); wrong password and unknown vhost said clearly with the password masked while the
 * agent keeps serving; celeryev absent on a fresh vhost said, never declared, then found once a
 * worker starts; junk and pickle on celeryev rejected by reason; the agent's queues exclusive,
 * non-durable, auto-delete and bounded; the agent itself on --broker amqp:// showing the worker.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "amqplib";
import { openBroker } from "../../agent/protocol/brokers";
import type { BrokerTransport } from "../../agent/protocol/transport";
import { CeleryWorker, eventually, healthWithBrokerError, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { RabbitMQNode } from "../harness/rabbitmq";

const VHOST = "prod/eu";
const USER = "panel";
const PASSWORD = "p@ss:w/rd%";
const WORKER = "amqp@panel";

after(() => stopAll());

describe("AMQP transport on a private RabbitMQ node", () => {
  let node: RabbitMQNode;
  let redis: RedisServer;
  const opened: BrokerTransport[] = [];
  const open = async (url: string) => {
    const b = openBroker(url);
    opened.push(b);
    await b.start();
    return b;
  };

  before(async () => {
    [node, redis] = await Promise.all([RabbitMQNode.start(), RedisServer.start()]);
    await node.addVhostAndUser(VHOST, USER, PASSWORD);
  });

  after(async () => {
    await Promise.allSettled(opened.map((b) => b.close()));
    await Promise.allSettled([node?.destroy(), redis?.destroy()]);
  });

  it("connects with Celery's URL forms: empty vhost, //, %2F, pyamqp://, an encoded vhost and password", async () => {
    const hostPort = `127.0.0.1:${node.port}`;
    const urls = [
      `amqp://guest:guest@${hostPort}`,
      `amqp://guest:guest@${hostPort}/`,
      `amqp://guest:guest@${hostPort}//`,
      `amqp://guest:guest@${hostPort}/%2F`,
      `pyamqp://guest:guest@${hostPort}//?heartbeat=10`,
      `amqp://${USER}:${encodeURIComponent(PASSWORD)}@${hostPort}/${encodeURIComponent(VHOST)}`,
    ];
    for (const url of urls) {
      const b = await open(url);
      await eventually(async () => b.status().state === "connected", 10_000, `connected with ${b.description}`);
      assert.ok(!b.description.includes(":guest@") && !b.description.includes(encodeURIComponent(PASSWORD)), `password masked: ${b.description}`);
    }
    const conns = await node.ctl("list_connections", "--no-table-headers", "vhost", "user");
    assert.match(conns, new RegExp(`${VHOST}\\t${USER}`), "the encoded vhost and user reached the broker decoded");
  });

  it("a wrong password or an unknown vhost: unavailable, naming vhost and user, the password masked", async () => {
    const hostPort = `127.0.0.1:${node.port}`;
    const wrong = await open(`amqp://${USER}:${encodeURIComponent("not-the-password")}@${hostPort}/${encodeURIComponent(VHOST)}`);
    const unknown = await open(`amqp://${USER}:${encodeURIComponent(PASSWORD)}@${hostPort}/no-such-vhost`);
    for (const [b, vhost, secret] of [
      [wrong, VHOST, "not-the-password"],
      [unknown, "no-such-vhost", PASSWORD],
    ] as const) {
      const s = await eventually(async () => (b.status().state === "unavailable" && b.status().error ? b.status() : null), 10_000, "unavailable with a reason");
      assert.ok(s.error!.includes(`vhost "${vhost}"`) && s.error!.includes(`user "${USER}"`), s.error!);
      assert.match(s.error!, vhost === VHOST ? /refused/ : /does not exist/);
      assert.ok(!s.error!.includes(secret) && !s.error!.includes(encodeURIComponent(secret)), `password masked: ${s.error}`);
    }
  });

  it("the agent on a wrong password keeps serving and says why in /health", async () => {
    const url = `amqp://${USER}:${encodeURIComponent("not-the-password")}@127.0.0.1:${node.port}/${encodeURIComponent(VHOST)}`;
    const agent: AgentProcess = await startAgent(["--broker", url, "--result-backend", redis.url(1)]);
    try {
      const health = { body: await healthWithBrokerError(agent) };
      assert.equal(health.body.broker.state, "unavailable");
      assert.match(health.body.broker.error!, /refused/);
      assert.ok(!JSON.stringify(health.body).includes("not-the-password"), "password masked");
      assert.ok(!agent.output().includes("not-the-password"), "nor in the log");
    } finally {
      await agent.stop();
    }
  });

  describe("on a vhost no worker has run on yet", () => {
    const vhost = "fresh";
    let url: string;
    let broker: BrokerTransport;
    let worker: CeleryWorker | null = null;
    const events: string[] = [];

    before(async () => {
      await node.ctl("add_vhost", vhost);
      await node.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
      url = node.url({ vhost });
      broker = await open(url);
      broker.events.onEvent((e) => events.push(e.type));
    });

    after(() => worker?.stop());

    it("says celeryev does not exist, and does not declare it", async () => {
      const s = await eventually(async () => (broker.status().error?.includes("celeryev") ? broker.status() : null), 10_000, "celeryev absence said");
      assert.equal(s.state, "connected");
      assert.match(s.error!, /no worker has run/);
      const r = await broker.control.broadcast("ping", {}, { timeoutMs: 500 });
      assert.equal(r.replies.size, 0);
      assert.match(r.note ?? "", /celery\.pidbox/, "the broadcast says why nobody answered");
      const exchanges = (await node.exchanges(vhost)).map((e) => e.name);
      assert.ok(!exchanges.includes("celeryev") && !exchanges.includes("celery.pidbox"), `no Celery exchange declared: ${exchanges.join(", ")}`);
    });

    it("finds celeryev once a worker starts, and its events arrive", async () => {
      worker = await CeleryWorker.start({ name: WORKER, pool: "solo", queues: ["amqp"], broker: url, backend: redis.url(1) });
      await eventually(async () => events.includes("worker-heartbeat"), 20_000, "the worker's heartbeats");
      assert.equal(broker.status().error, null, "the note is gone");
    });

    it("the agent's queues are exclusive, non-durable, auto-delete, the event queue bounded", async () => {
      await eventually(
        async () => (await broker.control.broadcast("ping", {}, { timeoutMs: 2000, expect: new Set([WORKER]) })).replies.has(WORKER),
        20_000,
        "ping",
      );
      const own = (await node.queues(vhost)).filter((q) => q.name.startsWith("celerypanel."));
      assert.equal(own.length, 2, `an event queue and a reply queue: ${own.map((q) => q.name).join(", ")}`);
      for (const q of own) assert.deepEqual([q.exclusive, q.durable, q.autoDelete], [true, false, true], q.name);
      const ev = own.find((q) => q.name.startsWith("celerypanel.ev."))!;
      for (const arg of ['"x-message-ttl",60000', '"x-max-length",100000', '"x-overflow","drop-head"'])
        assert.ok(ev.arguments.includes(arg), `${arg} in ${ev.arguments}`);
    });

    it("its event queue deleted under it: a fresh one on the same connection, and events flow again", async () => {
      const states: string[] = [];
      broker.onStatus((st) => states.push(st.state));
      const old = (await node.queues(vhost)).find((q) => q.name.startsWith("celerypanel.ev."))!.name;
      await node.ctl("delete_queue", "-p", vhost, old);
      const fresh = await eventually(
        async () => (await node.queues(vhost)).find((q) => q.name.startsWith("celerypanel.ev.") && q.name !== old)?.name,
        15_000,
        "a fresh event queue",
      );
      assert.notEqual(fresh, old);
      const n = events.length;
      await eventually(async () => events.length > n, 10_000, "events after the new queue");
      assert.ok(!states.includes("unavailable"), "the connection stayed up");
    });

    it("junk and pickle on celeryev are rejected by reason, never decoded", async () => {
      const before = broker.events.rejected();
      const c = await connect(url);
      try {
        const ch = await c.createChannel();
        ch.publish("celeryev", "task.succeeded", Buffer.from("this is not JSON"), { contentType: "application/json" });
        // A pickle of os.system("true"): must never reach a deserializer.
        ch.publish("celeryev", "task.succeeded", Buffer.from("8004951f000000000000008c05706f736978948c0673797374656d9493948c047472756594859452942e", "hex"), {
          contentType: "application/x-python-serialize",
          contentEncoding: "binary",
        });
        await ch.close();
      } finally {
        await c.close();
      }
      const grown = (reason: string) => (broker.events.rejected()[reason] ?? 0) > (before[reason] ?? 0);
      await eventually(async () => grown("bad_body") && grown("unsupported_content_type"), 10_000, "both rejections counted");
    });

    it("connection.blocked (a memory alarm) is said in the status, and cleared when it lifts", async () => {
      await node.ctl("set_vm_memory_high_watermark", "0.0000001");
      try {
        // The broker blocks a connection when it publishes: the broadcast's request does.
        await broker.control.broadcast("ping", {}, { timeoutMs: 1000 }).catch(() => undefined);
        const s = await eventually(async () => (broker.status().error?.includes("blocked") ? broker.status() : null), 15_000, "blocked said");
        assert.equal(s.state, "connected");
        await assert.rejects(broker.control.broadcast("ping", {}, { timeoutMs: 1000 }), /blocked/);
      } finally {
        await node.ctl("set_vm_memory_high_watermark", "0.4");
      }
      await eventually(async () => broker.status().error === null, 15_000, "unblocked");
    });

    it("the agent itself on --broker amqp:// lists the worker", async () => {
      const agent = await startAgent(["--broker", url, "--result-backend", redis.url(1)]);
      try {
        await eventually(
          async () => {
            const r = await agent.get<unknown>("/api/v1/workers");
            return r.status === 200 && JSON.stringify(r.body).includes(WORKER);
          },
          20_000,
          "the worker in /api/v1/workers",
        );
      } finally {
        await agent.stop();
      }
    });
  });
});
