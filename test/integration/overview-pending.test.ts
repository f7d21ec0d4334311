/**
 * Right after the agent starts, the overview answers at once; what it has not read yet (queues,
 * periodic tasks) it must call unknown, not zero. A stale remote-control binding of a killed worker
 * makes the first reads wait the whole inspect timeout: the first overview cannot know the queues.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

let redis: RedisServer;
let agent: AgentProcess;

before(async () => {
  redis = await RedisServer.start();
  const live = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "live@pending", pool: "solo", queues: ["celery", "media"] });
  // Killed without a goodbye: its pidbox binding stays, so the agent waits for it at first.
  const doomed = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "doomed@pending", pool: "solo" });
  await doomed.kill();
  void live;
  agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--inspect-timeout", "4000"]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

it("says which parts it has not read yet, and fills them in once read", async () => {
  const first = (await agent.get<any>("/api/v1/overview")).body;
  assert.deepEqual([...first.pending].sort(), ["periodic_tasks", "queues"], "the first overview cannot have read the queues yet");
  const later = await eventually(
    async () => {
      const o = (await agent.get<any>("/api/v1/overview")).body;
      return o.pending.length === 0 ? o : null;
    },
    20_000,
    "queues and periodic tasks read",
  );
  const names = later.queues.map((q: { name: string }) => q.name);
  assert.ok(names.includes("celery") && names.includes("media"), `queues read: ${names.join(", ")}`);
});
