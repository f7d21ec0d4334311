/**
 * The result backend under faults, with real workers:
 *   - the agent stalled (SIGSTOP) while workers store results, until Redis drops its live
 *     subscription for falling behind: once it is back, the results it missed are read back;
 *   - the result backend unreachable while the broker works, and the reverse: what can be served
 *     is, the rest answers 503 naming the side that is down, and health says which.
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { Redis } from "ioredis";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const servers: RedisServer[] = [];
const probes: Redis[] = [];

after(async () => {
  for (const p of probes) p.disconnect();
  await stopAll();
  await Promise.allSettled(servers.map((s) => s.destroy()));
});

async function server(): Promise<{ redis: RedisServer; probe: Redis }> {
  const redis = await RedisServer.start();
  servers.push(redis);
  const probe = new Redis(redis.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  probe.on("error", () => undefined);
  probes.push(probe);
  return { redis, probe };
}

/** Connection names of the clients the server has, with their pattern subscriptions. */
async function clients(probe: Redis): Promise<Map<string, number>> {
  const list = (await probe.client("LIST")) as string;
  return new Map(
    list
      .split("\n")
      .filter(Boolean)
      .map((line) => [/ name=(\S*)/.exec(line)?.[1] ?? "", Number(/ psub=(\d+)/.exec(line)?.[1] ?? 0)] as [string, number]),
  );
}

const health = async (agent: AgentProcess) => (await agent.get<any>("/api/v1/health")).body;

it("reads back the results it missed when Redis dropped its subscription while it was stalled", async () => {
  const { redis, probe } = await server();
  // A subscriber more than 256 kB behind is disconnected at once (Redis's default for pub/sub is 32 MB).
  await probe.config("SET", "client-output-buffer-limit", "pubsub 262144 131072 1");
  const broker = redis.url(0);
  const backend = redis.url(1);
  await CeleryWorker.start({ name: "busy@faults", pool: "prefork", concurrency: 2, queues: ["celery"], broker, backend });
  const agent = await startAgent(["--broker", broker, "--result-backend", backend]);
  await eventually(async () => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).some((w) => w.status === "online"), 20_000, "worker online");
  assert.ok(((await clients(probe)).get("celery-panel:results-live") ?? 0) > 0, "subscribed to results at first");

  process.kill(agent.child.pid!, "SIGSTOP");
  let ids: string[];
  try {
    // Large results first: Redis drops the stalled subscriber; the small ones after go unseen.
    ids = (
      await runPython(
        // Polled with ready() (a GET), not get(): get() waits on the backend's pub/sub, and this
        // client's own subscription is dropped by the same tiny buffer limit as the agent's.
        `import time, panel_fixture as p
def wait(rs):
    deadline = time.time() + 60
    while not all(r.ready() for r in rs):
        if time.time() > deadline: raise SystemExit("results not stored within 60 s")
        time.sleep(0.1)
big = [p.big_result.delay(400000) for _ in range(3)]
wait(big)
small = [p.report.delay(kind=f"k{i}") for i in range(5)]
wait(small)
print(" ".join(r.id for r in small))`,
        broker,
        backend,
        {},
        90_000,
      )
    )
      .trim()
      .split(" ");
    await eventually(async () => !(await clients(probe)).has("celery-panel:results-live"), 10_000, "Redis dropped the stalled subscriber");
  } finally {
    process.kill(agent.child.pid!, "SIGCONT");
  }
  const resumed = Date.now();
  await eventually(async () => ((await clients(probe)).get("celery-panel:results-live") ?? 0) > 0, 10_000, "subscribed again");
  assert.ok(Date.now() - resumed < 5000, `re-subscribed ${Date.now() - resumed} ms after the agent could run again`);
  // Only a read of the stored results gives their JSON (the task events carry a Python repr).
  for (const [i, id] of ids.entries()) {
    const t = await eventually(
      async () => {
        const r = (await agent.get<any>(`/api/v1/tasks/${id}`)).body;
        return r.state === "SUCCESS" && r.result_value?.format === "json" ? r : null;
      },
      15_000,
      `result of ${id} read back`,
    );
    assert.deepEqual(t.result_value.value, { kind: `k${i}`, rows: 3 });
  }
  assert.equal((await health(agent)).backfill.state, "done");
  await agent.stop();
});

it("serves what it can when the result backend is down, then when the broker is down, and says which", async () => {
  const b = await server();
  const r = await server();
  const broker = b.redis.url(0);
  const backend = r.redis.url(0);
  await CeleryWorker.start({ name: "split@faults", pool: "prefork", concurrency: 1, queues: ["celery"], broker, backend });
  const agent = await startAgent(["--broker", broker, "--result-backend", backend]);
  await eventually(async () => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).some((w) => w.status === "online"), 20_000, "worker online");
  const held = (await runPython(`import panel_fixture as p; r = p.add.delay(1, 2); r.get(timeout=60); print(r.id)`, broker, backend)).trim();
  await eventually(async () => (await agent.get<any>(`/api/v1/tasks/${held}`)).body.state === "SUCCESS", 15_000, "task held");
  const unknown = "00000000-0000-4000-8000-000000000000";

  // The result backend goes away; the broker stays.
  await r.redis.stop();
  const h1 = await eventually(
    async () => {
      const h = await health(agent);
      return h.result_backend.state === "unavailable" ? h : null;
    },
    10_000,
    "backend unavailable in health",
  );
  assert.equal(h1.broker.state, "connected");
  assert.ok(h1.result_backend.error);
  const workers = await agent.get<any>("/api/v1/workers");
  assert.equal(workers.status, 200);
  assert.ok(workers.body.workers.some((w: any) => w.name === "split@faults" && w.status === "online"));
  assert.equal((await agent.get<any>("/api/v1/queues")).status, 200);
  assert.equal((await agent.get<any>("/api/v1/overview")).status, 200);
  assert.equal((await agent.get<any>("/api/v1/tasks")).body.tasks[0].id, held);
  assert.equal((await agent.get<any>(`/api/v1/tasks/${held}`)).status, 200);
  const missing = await agent.get<any>(`/api/v1/tasks/${unknown}`);
  assert.equal(missing.status, 503);
  assert.equal(missing.body.error.code, "result_backend_unavailable");
  assert.match(missing.body.error.message, /result backend redis:\/\/127\.0\.0\.1:\d+\/0 .* is not reachable/);

  // Back; then the broker goes away instead.
  await r.redis.run();
  await eventually(async () => (await health(agent)).result_backend.state === "connected", 10_000, "backend back");
  await b.redis.stop();
  const h2 = await eventually(
    async () => {
      const h = await health(agent);
      return h.broker.state === "unavailable" ? h : null;
    },
    10_000,
    "broker unavailable in health",
  );
  assert.equal(h2.result_backend.state, "connected");
  const queues = await agent.get<any>("/api/v1/queues");
  assert.equal(queues.status, 503);
  assert.equal(queues.body.error.code, "broker_unavailable");
  assert.match(queues.body.error.message, /broker/);
  assert.equal((await agent.get<any>("/api/v1/tasks")).status, 200);
  assert.equal((await agent.get<any>(`/api/v1/tasks/${held}`)).status, 200);
  assert.equal((await agent.get<any>("/api/v1/workers")).status, 200, "workers as last known");
  // The backend answers for itself: an unknown task is simply not found.
  assert.equal((await agent.get<any>(`/api/v1/tasks/${unknown}`)).status, 404);
  await agent.stop();
});
