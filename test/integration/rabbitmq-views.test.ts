/**
 * The views on a RabbitMQ broker, through the agent's HTTP API validated by the zod contract: a
 * private node with a vhost other than "/" and a password that needs URL-encoding, a prefork and a
 * solo worker, a priority queue (media, x-max-priority 9), a configured queue no worker consumes
 * holding tasks (parked), and a queue nobody named holding messages (orphan); results in a private
 * redis-server. Two agents: one over AMQP alone, one with the management API (--broker-api). Only
 * the second sees the orphan queue and unacknowledged counts; both mask every password.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import amqp from "amqplib";
import type { EndpointName } from "../../agent/api/schema";
import { contractGet } from "../harness/contract";
import { CeleryWorker, RedisServer, eventually, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { RabbitMQNode } from "../harness/rabbitmq";

const VHOST = "prod/eu";
const USER = "panel";
const PASSWORD = "rabbit@pw:42/x";
const API_PASSWORD_MARK = "rabbit%40pw"; // as it would appear URL-encoded

let node: RabbitMQNode;
let redis: RedisServer;
let broker: string;
let backend: string;
let plain: AgentProcess;
let withApi: AgentProcess;
/** Its management API URL holds a wrong password. */
let badApi: AgentProcess;
const WRONG_PASSWORD = "wrong-pw-31337";
let ids: { add: string; video: string; parked: string[] };

const get = <T = any>(agent: AgentProcess, name: EndpointName, path: string): Promise<T> => contractGet<T>(agent, name, path);

before(async () => {
  node = await RabbitMQNode.start();
  await node.addVhostAndUser(VHOST, USER, PASSWORD);
  redis = await RedisServer.start();
  broker = node.url({ vhost: VHOST, user: USER, password: PASSWORD });
  backend = redis.url(1);
  await Promise.all([
    CeleryWorker.start({ name: "prefork@rabbit", pool: "prefork", concurrency: 2, queues: ["celery", "media"], broker, backend }),
    CeleryWorker.start({ name: "solo@rabbit", pool: "solo", queues: ["celery", "audit"], broker, backend }),
  ]);
  // A queue no worker consumes, no configuration names and no task was sent to, holding two messages.
  const conn = await amqp.connect(broker);
  const ch = await conn.createChannel();
  await ch.assertQueue("orphan", { durable: true });
  ch.sendToQueue("orphan", Buffer.from("{}"));
  ch.sendToQueue("orphan", Buffer.from("{}"));
  await ch.close();
  await conn.close();
  const agentArgs = ["--broker", broker, "--result-backend", backend, "--name", "rabbit-agent"];
  [plain, withApi, badApi] = await Promise.all([
    startAgent(agentArgs),
    startAgent([...agentArgs, "--broker-api", node.managementUrl({ user: USER, password: PASSWORD })]),
    startAgent([...agentArgs, "--broker-api", node.managementUrl({ user: USER, password: WRONG_PASSWORD })]),
  ]);
  const out = await runPython(
    `
import json, time
import panel_fixture as p
from celery.result import AsyncResult
ids = {"add": p.add.delay(2, 3).id, "video": p.encode_video.apply_async((7,), priority=5).id}
ids["parked"] = [p.add.apply_async((i, i), queue="parked").id for i in range(3)]
for key in ["add", "video"]:
    r = AsyncResult(ids[key], app=p.app)
    deadline = time.time() + 30
    while not r.ready() and time.time() < deadline:
        time.sleep(0.1)
print(json.dumps(ids))
`,
    broker,
    backend,
  );
  ids = JSON.parse(out.trim().split("\n").pop()!);
});

after(async () => {
  await Promise.allSettled([plain?.stop(), withApi?.stop(), badApi?.stop()]);
  await stopAll();
  await redis?.destroy();
  await node?.destroy();
});

describe("RabbitMQ: workers, tasks, overview", () => {
  it("lists the prefork and the solo worker with their pools, online, from remote control and events", async () => {
    for (const agent of [plain, withApi]) {
      const body = await eventually(
        async () => {
          const b = await get(agent, "workers", "workers");
          return b.workers.filter((w: any) => w.pool && w.status === "online").length === 2 ? b : null;
        },
        20_000,
        "both workers online with their pools",
      );
      const pools = Object.fromEntries(body.workers.map((w: any) => [w.name, w.pool]));
      assert.deepEqual(pools, { "prefork@rabbit": "prefork", "solo@rabbit": "solo" });
      assert.match(body.source, /worker events on RabbitMQ amqp:\/\//);
    }
  });

  it("shows tasks from events and their results from the Redis result backend", async () => {
    const task = await eventually(
      async () => {
        const t = await get(plain, "task", `tasks/${ids.add}`);
        return t.state === "SUCCESS" && t.result ? t : null;
      },
      20_000,
      "add succeeded, with its result",
    );
    assert.equal(task.worker?.startsWith("prefork@rabbit") || task.worker?.startsWith("solo@rabbit"), true);
    assert.equal(task.result, "5");
    assert.deepEqual(task.sources, ["events", "result_backend"]);
    const list = await get(plain, "tasks", "tasks");
    assert.match(list.source, /result backend redis:\/\/.* \+ events on RabbitMQ/);
    // Waiting messages cannot be read on RabbitMQ without taking them: the source does not claim them.
    assert.doesNotMatch(list.source, /messages waiting/);
  });

  it("answers the overview", async () => {
    const o = await get(withApi, "overview", "overview");
    assert.equal(o.connections.broker.state, "connected");
    assert.match(o.connections.broker.url, /^amqp:\/\/panel:\*{8}@/);
  });
});

describe("RabbitMQ: queues", () => {
  const byName = (b: any) => new Map<string, any>(b.queues.map((q: any) => [q.name, q]));

  it("without the management API: named queues with probe depths and consumers; the unnamed one is not seen, and the view says so", async () => {
    const body = await eventually(
      async () => {
        const b = await get(plain, "queues", "queues");
        return byName(b).get("parked")?.messages === 3 ? b : null;
      },
      20_000,
      "parked holding 3",
    );
    const q = byName(body);
    assert.equal(q.has("orphan"), false, "a queue nobody named cannot be seen over AMQP alone");
    assert.match(body.note, /cannot be seen|is not shown/);
    assert.match(body.note, /--broker-api/);
    assert.equal(q.get("parked").consumers.length, 0);
    assert.equal(q.get("media").max_priority, 9);
    assert.deepEqual(
      q.get("media").consumers.map((c: any) => c.worker),
      ["prefork@rabbit"],
    );
    assert.deepEqual(
      q
        .get("celery")
        .consumers.map((c: any) => c.worker)
        .sort(),
      ["prefork@rabbit", "solo@rabbit"],
    );
    assert.equal(q.get("celery").unacked, null, "unacked counts need the management API");
    assert.match(body.source, /RabbitMQ amqp:\/\//);
  });

  it("with the management API: every queue of the vhost, the unconsumed one included, with unacked counts and arguments", async () => {
    const body = await eventually(
      async () => {
        const b = await get(withApi, "queues", "queues");
        const q = byName(b);
        // The API's consumer counts follow its statistics, refreshed every few seconds.
        return q.get("orphan")?.messages === 2 && q.get("parked")?.messages === 3 && q.get("celery")?.consumer_count === 2 ? b : null;
      },
      45_000,
      "orphan holding 2, parked 3, celery consumed by both workers",
    );
    const q = byName(body);
    assert.equal(body.note ?? null, null);
    assert.equal(q.get("orphan").unacked, 0, JSON.stringify(q.get("orphan")));
    assert.equal(q.get("orphan").consumer_count, 0);
    assert.deepEqual(q.get("orphan").declared_in, ["broker"]);
    // The agent's own queues and the workers' mailboxes are not task queues.
    assert.ok([...q.keys()].every((n) => !n.startsWith("celerypanel.") && !n.endsWith(".pidbox") && !n.startsWith("celeryev.")));
    assert.equal(q.get("media").arguments["x-max-priority"], 9);
    assert.equal(q.get("media").queue_type, "classic");
    // A priority queue is one count on RabbitMQ: no per-priority split, rather than all of it at priority 0.
    assert.deepEqual(q.get("media").messages_by_priority, []);
    assert.equal(q.get("celery").consumer_count, 2, JSON.stringify(q.get("celery")));
    assert.match(body.source, /management API http:\/\/panel:\*{8}@127\.0\.0\.1:\d+/);
  });

  it("a management API that refuses the user: the queues fall back to the probes and say why, naming the user, never the password; the rest is served", async () => {
    const res = await badApi.get<any>("/api/v1/queues");
    assert.equal(res.status, 200);
    assert.match(res.body.note, /management API failed \(the management API at http:\/\/panel:\*{8}@127\.0\.0\.1:\d+: user "panel" was refused/);
    const q = byName(res.body);
    assert.equal(q.get("parked")?.messages, 3, "counted by a passive probe while the API fails");
    assert.equal(q.get("orphan"), undefined, "a queue nobody names cannot be seen without the API");
    assert.doesNotMatch(JSON.stringify(res.body), new RegExp(WRONG_PASSWORD));
    const workers = await get(badApi, "workers", "workers");
    assert.ok(workers.workers.length > 0);
    assert.doesNotMatch(badApi.output(), new RegExp(WRONG_PASSWORD));
  });

  it("a queue's detail says waiting positions are unknown instead of an empty list", async () => {
    const d = await get(withApi, "queue", "queues/parked");
    assert.equal(d.waiting_tasks, undefined);
    assert.match(d.waiting_note, /positions|order/);
  });
});

describe("RabbitMQ: configuration and secrets", () => {
  it("shows the broker and the API URL masked, and names the broker kind", async () => {
    const c = await get(withApi, "config", "config");
    assert.equal(c.agent.broker_kind, "RabbitMQ");
    assert.match(c.agent.broker, /^amqp:\/\/panel:\*{8}@127\.0\.0\.1:\d+\//);
    assert.match(c.agent.broker_api, /^http:\/\/panel:\*{8}@127\.0\.0\.1:\d+$/);
    assert.ok(c.agent.sources.every((s: any) => s.view === "config" || s.view === "periodic-tasks" || s.view === "overview" || /RabbitMQ/.test(s.source)));
    const h = await get(withApi, "health", "health");
    assert.match(h.broker_api.url, /^http:\/\/panel:\*{8}@/);
    assert.equal(h.broker_api.tls_verified, true);
  });

  it("no password in any response or log line", async () => {
    for (const agent of [plain, withApi]) {
      for (const path of ["health", "overview", "workers", "tasks", "queues", "config"]) {
        const text = JSON.stringify((await agent.get(`/api/v1/${path}`)).body);
        assert.ok(!text.includes(PASSWORD) && !text.includes(API_PASSWORD_MARK), `${path} leaks the password`);
      }
      assert.ok(!agent.output().includes(PASSWORD) && !agent.output().includes(API_PASSWORD_MARK), "the log leaks the password");
    }
  });
});
