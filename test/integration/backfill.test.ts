/**
 * Tasks that ran while the agent was down come back from the result backend when it starts.
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll } from "../harness/deployment";

after(() => stopAll());

it("backfills tasks stored while the agent was away, and keeps held tasks within --max-tasks", async () => {
  const redis = await RedisServer.start();
  try {
    await CeleryWorker.start({ name: "bw@panel", pool: "prefork", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const out = await runPython(
      `import panel_fixture as p
rs = [p.add.delay(i, i) for i in range(150)]
f = p.fail.delay("while-away")
[r.get(timeout=30) for r in rs]
f.get(timeout=30, propagate=False)
print(f.id)`,
      redis.url(0),
      redis.url(1),
    );
    const failedId = out.trim();
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--max-tasks", "100"]);
    const h = await eventually(
      async () => {
        const r = await agent.get<any>("/api/v1/health");
        return r.body.backfill.state === "done" ? r.body : null;
      },
      15_000,
      "backfill done",
    );
    assert.equal(h.backfill.scanned, 151);
    assert.equal(h.backfill.loaded, 151);
    assert.equal(h.tasks_held, 100, "bounded by --max-tasks");
    // Evicted from memory, the task is still found in the result backend.
    const t = await agent.get<any>(`/api/v1/tasks/${failedId}`);
    assert.equal(t.status, 200);
    assert.equal(t.body.state, "FAILURE");
    assert.match(t.body.traceback, /ValueError: while-away/);
    assert.deepEqual(t.body.sources, ["result_backend"]);
    const list = await agent.get<any>("/api/v1/tasks?state=SUCCESS&limit=500");
    assert.ok(list.body.total >= 99 && list.body.tasks.every((x: any) => x.name === "panel_fixture.add"));
  } finally {
    await stopAll();
    await redis.destroy();
  }
});

it("follows only its own database's results: a publish whose key lives in another database is not a task", async () => {
  const redis = await RedisServer.start();
  try {
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1)]);
    await eventually(async () => ((await agent.get<any>("/api/v1/health")).body.backfill.state === "done" ? true : null), 15_000, "backfill done");
    const meta = (id: string) =>
      JSON.stringify({ status: "SUCCESS", result: 42, traceback: null, children: [], date_done: new Date().toISOString(), task_id: id });
    const ours = "0e1d2c3b-aaaa-4bbb-8ccc-000000000001";
    const stranger = "0e1d2c3b-aaaa-4bbb-8ccc-000000000002";
    // Both publishes in one MULTI, so they reach the agent in one read and are checked as one batch.
    const { Redis } = await import("ioredis");
    const db1 = new Redis(redis.url(1));
    const db2 = new Redis(redis.url(2));
    try {
      await db1.set(`celery-task-meta-${ours}`, meta(ours));
      await db2.set(`celery-task-meta-${stranger}`, meta(stranger));
      await db1.multi().publish(`celery-task-meta-${ours}`, meta(ours)).publish(`celery-task-meta-${stranger}`, meta(stranger)).exec();
    } finally {
      db1.disconnect();
      db2.disconnect();
    }
    await eventually(async () => ((await agent.get<any>(`/api/v1/tasks/${ours}`)).status === 200 ? true : null), 10_000, "our task seen");
    const list = await agent.get<any>("/api/v1/tasks?limit=50");
    assert.deepEqual(
      list.body.tasks.map((t: any) => t.id),
      [ours],
      "the publish from database 2 is ignored",
    );
  } finally {
    await stopAll();
    await redis.destroy();
  }
});
