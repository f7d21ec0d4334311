/**
 * A broker with a global key prefix (every key and channel starts with "acme:"), and no
 * --result-backend: the agent must find the workers, the queues and, through the workers' own
 * configuration, the result backend.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const PREFIX_OPTIONS = JSON.stringify({ global_keyprefix: "acme:" });
let redis: RedisServer;
let agent: AgentProcess;
let ids: string[];

before(async () => {
  redis = await RedisServer.start();
  const env = { FIXTURE_TRANSPORT_OPTIONS: PREFIX_OPTIONS };
  await CeleryWorker.start({ name: "pw@panel", pool: "prefork", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(3), env });
  agent = await startAgent(["--broker", redis.url(0), "--transport-options", PREFIX_OPTIONS]);
  const out = await runPython(
    `import panel_fixture as p
ok = [p.add.delay(i, 1) for i in range(3)]
parked = [p.add.apply_async((9, 9), queue="parked", priority=pr) for pr in (0, 9)]
[r.get(timeout=20) for r in ok]
print(",".join(r.id for r in ok))`,
    redis.url(0),
    redis.url(3),
    env,
  );
  ids = out.trim().split(",");
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

it("finds the workers through prefixed events and bindings", async () => {
  const w = await eventually(
    async () => {
      const r = await agent.get<any>("/api/v1/workers");
      return r.body.workers.find((x: any) => x.name === "pw@panel" && x.status === "online" && x.pool === "prefork");
    },
    15_000,
    "prefixed worker online",
  );
  assert.equal(w.concurrency, 2);
  const detail = await agent.get<any>("/api/v1/workers/pw@panel");
  assert.equal(detail.status, 200);
  assert.deepEqual(detail.body.notes, [], "remote control works through the prefixed pidbox");
  assert.equal(detail.body.broker.transport_options.global_keyprefix, "acme:");
});

it("uses the workers' result backend when none is given", async () => {
  const h = await eventually(
    async () => {
      const r = await agent.get<any>("/api/v1/health");
      return r.body.result_backend.state === "connected" ? r.body : null;
    },
    15_000,
    "backend discovered",
  );
  assert.equal(h.result_backend.url, redis.url(3));
  const config = await agent.get<any>("/api/v1/config");
  assert.match(config.body.agent.result_backend, /the workers' result_backend/);
  for (const id of ids) {
    const t = await eventually(
      async () => {
        const r = await agent.get<any>(`/api/v1/tasks/${id}`);
        return r.status === 200 && r.body.state === "SUCCESS" ? r.body : null;
      },
      10_000,
      `task ${id}`,
    );
    assert.deepEqual(t.sources, ["events", "result_backend"]);
  }
});

it("reads queue depths and the waiting messages under the prefix", async () => {
  const q = await agent.get<any>("/api/v1/queues/parked");
  assert.equal(q.status, 200);
  assert.equal(q.body.messages, 2);
  assert.deepEqual(
    q.body.messages_by_priority.map((p: any) => p.messages),
    [1, 0, 0, 1],
  );
  assert.deepEqual(
    q.body.waiting_tasks.map((t: any) => [t.name, t.waiting.position, t.waiting.priority]),
    [
      ["panel_fixture.add", 1, 0],
      ["panel_fixture.add", 2, 9],
    ],
  );
});
