/**
 * The RabbitMQ management API client (agent/protocol/amqp/management.ts) against a private node,
 * on a vhost other than "/" ("prod/eu", encoded %2F in paths) with a user and password that need
 * URL-encoding: every queue listed with ready and unacknowledged counts, consumers and arguments
 * (a priority queue, a quorum queue, one no one consumes); consumers mapped to the worker whose
 * mailbox shares their connection; bindings; depths from one cached listing; 1,000 queues; errors
 * that name the user, the vhost or host:port and never the password; TLS verified unless told not to.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import amqp, { type ChannelModel } from "amqplib";
import { ManagementApi, ManagementApiError } from "../../agent/protocol/amqp/management";
import { eventually, freePort } from "../harness/deployment";
import { RabbitMQNode } from "../harness/rabbitmq";

const VHOST = "prod/eu";
const USER = "pan el";
const PASSWORD = "p@ss:w/rd%?";

describe("RabbitMQ management API client", () => {
  let node: RabbitMQNode;
  let conn: ChannelModel;
  let other: ChannelModel;
  const api = (extra: Partial<ConstructorParameters<typeof ManagementApi>[0]> = {}) =>
    new ManagementApi({ url: node.managementUrl({ user: USER, password: PASSWORD }), vhost: VHOST, ...extra });

  before(async () => {
    node = await RabbitMQNode.start();
    await node.addVhostAndUser(VHOST, USER, PASSWORD);
    const url = node.url({ vhost: VHOST, user: USER, password: PASSWORD });
    conn = await amqp.connect(url);
    other = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.assertExchange("tasks", "direct", { durable: true });
    await ch.assertQueue("prio", { durable: true, arguments: { "x-max-priority": 10, "x-message-ttl": 60_000 } });
    await ch.assertQueue("quorum", { durable: true, arguments: { "x-queue-type": "quorum" } });
    await ch.assertQueue("parked", { durable: true });
    await ch.bindQueue("parked", "tasks", "parked-key");
    for (let i = 0; i < 3; i++) ch.sendToQueue("parked", Buffer.from(`m${i}`));
    for (let i = 0; i < 4; i++) ch.sendToQueue("prio", Buffer.from(`p${i}`), { priority: i });
    // A "worker": its mailbox and a task queue consumed on one connection, 2 of 4 messages held unacked.
    await ch.assertQueue("w1@host.celery.pidbox", { exclusive: true });
    await ch.consume("w1@host.celery.pidbox", () => {});
    await ch.assertQueue("work", { durable: true });
    for (let i = 0; i < 4; i++) ch.sendToQueue("work", Buffer.from(`w${i}`));
    await ch.prefetch(2);
    await ch.consume("work", () => {}, { noAck: false });
    // A consumer on another connection, with no mailbox: no worker to name.
    const och = await other.createChannel();
    await och.consume("quorum", () => {}, { noAck: false });
  });

  after(async () => {
    await conn?.close().catch(() => {});
    await other?.close().catch(() => {});
    await node?.destroy();
  });

  it("lists every queue of the vhost: ready, unacknowledged, consumers, durability, arguments, type", async () => {
    const byName = await eventually(
      async () => {
        const m = new Map((await api().queues()).map((q) => [q.name, q]));
        return m.get("work")?.unacknowledged === 2 && m.get("work")?.consumers === 1 ? m : null;
      },
      15_000,
      "work queue with 2 unacked and its consumer",
    );
    assert.deepEqual(byName.get("work"), {
      name: "work",
      ready: 2,
      unacknowledged: 2,
      consumers: 1,
      durable: true,
      autoDelete: false,
      exclusive: false,
      arguments: {},
      type: "classic",
    });
    // Nobody consumes it and no worker names it: only the API lists it.
    assert.equal(byName.get("parked")?.ready, 3);
    assert.equal(byName.get("parked")?.consumers, 0);
    // A priority queue is one queue, its arguments as declared.
    assert.equal(byName.get("prio")?.ready, 4);
    assert.deepEqual(byName.get("prio")?.arguments, { "x-max-priority": 10, "x-message-ttl": 60_000 });
    assert.equal(byName.get("quorum")?.type, "quorum");
    assert.equal(byName.get("w1@host.celery.pidbox")?.exclusive, true);
  });

  it("names the worker of each consumer from the mailbox consumed on the same connection", async () => {
    const consumers = await eventually(
      async () => {
        const c = await api().consumers();
        return c.length >= 3 ? c : null;
      },
      15_000,
      "three consumers",
    );
    const work = consumers.find((c) => c.queue === "work");
    assert.equal(work?.worker, "w1@host");
    assert.equal(work?.prefetch, 2);
    assert.equal(consumers.find((c) => c.queue === "quorum")?.worker, null);
  });

  it("lists the bindings of exchanges to queues; a queue bound nowhere else by the default exchange; exclusive ones left out", async () => {
    const bindings = await api().bindings();
    assert.deepEqual(
      bindings.filter((b) => b.queue === "parked"),
      [{ exchange: "tasks", routingKey: "parked-key", pattern: "", queue: "parked" }],
    );
    assert.deepEqual(
      bindings.filter((b) => b.queue === "prio"),
      [{ exchange: "", routingKey: "prio", pattern: "", queue: "prio" }],
    );
    assert.equal(
      bindings.some((b) => b.queue === "w1@host.celery.pidbox"),
      false,
    );
  });

  it("answers depths from one listing, cached briefly; queues the broker lacks are left out", async () => {
    const cached = api({ depthsFreshMs: 60_000 });
    const first = await cached.queueDepths(["parked", "prio", "missing"]);
    assert.deepEqual(first.get("parked"), {
      messages: 3,
      byPriority: [],
      consumers: 0,
      exists: true,
      unacknowledged: 0,
      arguments: {},
      queueType: "classic",
    });
    assert.equal(first.get("prio")?.messages, 4);
    assert.equal(first.has("missing"), false);
    const ch = await conn.createChannel();
    ch.sendToQueue("parked", Buffer.from("one more"));
    await ch.close();
    // Within the window: the same listing. Without a window: the new message.
    assert.equal((await cached.queueDepths(["parked"])).get("parked")?.messages, 3);
    const uncached = api({ depthsFreshMs: 0 });
    await eventually(async () => (await uncached.queueDepths(["parked"])).get("parked")?.messages === 4, 10_000, "fresh depth");
  });

  it("takes the broker URL's credentials when the API URL has none", async () => {
    const queues = await new ManagementApi({ url: node.managementUrl({ credentials: false }), vhost: VHOST, user: USER, password: PASSWORD }).queues();
    assert.ok(queues.some((q) => q.name === "parked"));
  });

  it("lists 1,000 queues", async (t) => {
    const ch = await conn.createChannel();
    const names = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    await Promise.all(names.map((n) => ch.assertQueue(n, { durable: false, autoDelete: false })));
    const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const out = await f();
      t.diagnostic(`${what} in ${Math.round(performance.now() - started)} ms (not asserted)`);
      return out;
    };
    const listing = api();
    await timed("consumers of 1,000 queues", () => listing.consumers());
    await timed("1,000 queues, a second time", () => listing.queues());
    const queues = await timed("1,000 queues listed with their consumers", () => listing.queues());
    assert.equal(queues.filter((q) => q.name.startsWith("bulk-")).length, 1000);
    await Promise.all(names.map((n) => ch.deleteQueue(n)));
    await ch.close();
  });

  it("errors name the user, the vhost or host:port, never the password", async () => {
    const wrong = new ManagementApi({ url: node.managementUrl({ user: USER, password: "nope-secret" }), vhost: VHOST });
    await assert.rejects(wrong.queues(), (e: Error) => {
      assert.ok(e instanceof ManagementApiError && e.status === 401);
      assert.match(e.message, /user "pan el" was refused/);
      assert.doesNotMatch(e.message, /nope-secret/);
      return true;
    });
    await assert.rejects(api({ vhost: "no/such" }).queues(), (e: Error) => {
      assert.match(e.message, /vhost "no\/such" not found/);
      assert.doesNotMatch(e.message, /p@ss/);
      return true;
    });
    const port = await freePort();
    const refused = new ManagementApi({ url: `http://u:hunter2@127.0.0.1:${port}`, vhost: "/" });
    await assert.rejects(refused.queues(), (e: Error) => {
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`));
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    assert.throws(() => new ManagementApi({ url: "amqp://u:hunter2@h:5672", vhost: "/" }), /http:\/\/ or https:\/\/ URL.*u:\*{8}@h/);
    assert.equal(api().description, `http://pan%20el:********@127.0.0.1:${node.managementPort}`);
  });
});

describe("RabbitMQ management API over TLS", () => {
  let dir: string;
  let server: ReturnType<typeof createServer>;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "panel-mgmt-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"].concat([
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    server = createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify([{ name: "tls-q", messages_ready: 7, messages_unacknowledged: 0, durable: true, arguments: {}, type: "classic" }]));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://guest:guest@127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an untrusted certificate by default, saying how to trust it", async () => {
    await assert.rejects(new ManagementApi({ url, vhost: "/" }).queues(), /TLS certificate not trusted.*--broker-api-insecure/);
  });

  it("trusts a given CA, or skips verification when told to", async () => {
    const withCa = await new ManagementApi({ url, vhost: "/", ca: readFileSync(join(dir, "cert.pem")) }).queueDepths(["tls-q"]);
    assert.equal(withCa.get("tls-q")?.messages, 7);
    const insecure = await new ManagementApi({ url, vhost: "/", verifyTls: false }).queues();
    assert.equal(insecure[0]?.name, "tls-q");
  });
});
