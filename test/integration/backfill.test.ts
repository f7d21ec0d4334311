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
