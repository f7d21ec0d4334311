/**
 * Redis stopped and started again under the agent: it stays up, says the broker is unavailable,
 * reconnects and subscribes again, and catches up from the result backend on what it missed; it
 * does not take its own blindness for its workers' death (no offline worker, no lost task).
 */
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { Redis } from "ioredis";
import { CeleryWorker, eventually, letTimePass, RedisServer, runPython, startAgent, stopAll } from "../harness/deployment";

after(() => stopAll());

it("survives a Redis restart and catches up", async () => {
  const redis = await RedisServer.start();
  try {
    const broker = redis.url(0);
    const backend = redis.url(1);
    await CeleryWorker.start({ name: "rw@panel", pool: "prefork", concurrency: 1, queues: ["celery"], broker, backend });
    const agent = await startAgent(["--broker", broker, "--result-backend", backend]);
    await eventually(
      async () => (await agent.get<any>("/api/v1/workers")).body.workers?.some((w: any) => w.name === "rw@panel" && w.status === "online"),
      15_000,
      "worker online",
    );

    // A task running on the worker while the agent goes blind: the outage is the agent's, not the worker's.
    const running = (await runPython(`import panel_fixture as p; print(p.sleep_for.delay(14).id)`, broker, backend)).trim();
    await eventually(async () => (await agent.get<any>(`/api/v1/tasks/${running}`)).body.state === "STARTED", 15_000, "long task started");

    await redis.stop();
    const down = await eventually(
      async () => {
        const h = await agent.get<any>("/api/v1/health");
        return h.body.broker.state === "unavailable" && h.body.result_backend.state === "unavailable" ? h.body : null;
      },
      10_000,
      "agent says unavailable",
    );
    assert.ok(down.broker.error);
    const queues = await agent.get<any>("/api/v1/queues");
    assert.equal(queues.status, 503, "what needs the broker says why");
    assert.equal((await agent.get<any>("/api/v1/tasks")).status, 200, "what is held is still served");
    // Longer than the two heartbeat intervals that make a worker offline: silence the agent cannot
    // hear through says nothing about the worker, so it stays as last known and its task is not LOST.
    await letTimePass(6000, "past two heartbeat intervals with the agent blind");
    const blind = (await agent.get<any>("/api/v1/workers")).body.workers.find((w: any) => w.name === "rw@panel");
    assert.equal(blind.status, "online", `not judged offline during the agent's own outage: ${blind.status_detail}`);
    assert.match(blind.status_detail ?? "", /as last known/);
    assert.equal((await agent.get<any>("/api/v1/overview")).body.workers.offline, 0);
    assert.equal((await agent.get<any>(`/api/v1/tasks/${running}`)).body.state, "STARTED", "its running task is not marked lost");

    await redis.run(); // same port; Redis keeps nothing on disk here, so it comes back empty
    const back = Date.now();
    await eventually(
      async () => {
        const h = await agent.get<any>("/api/v1/health");
        return h.body.broker.state === "connected" && h.body.result_backend.state === "connected";
      },
      10_000,
      "agent reconnected",
    );
    assert.ok(Date.now() - back < 5000, "reconnected within 5 s of Redis returning");
    // Re-subscribed too, within the same 5 s: the event pattern on the broker, the results pattern on the backend.
    const probe = new Redis(redis.port, "127.0.0.1");
    try {
      await eventually(
        async () => {
          const list = (await probe.client("LIST")) as string;
          const psub = (name: string) => Number(new RegExp(` name=${name} .*? psub=(\\d+)`).exec(list)?.[1] ?? 0);
          return psub("celery-panel:events") > 0 && psub("celery-panel:results-live") > 0;
        },
        5000,
        "re-subscribed",
      );
      assert.ok(Date.now() - back < 5000, "re-subscribed within 5 s of Redis returning");
    } finally {
      probe.disconnect();
    }
    // The worker reconnects on its own; tasks stored while the agent was blind come back, and new
    // events arrive again (the subscriptions were renewed).
    const id = (await runPython(`import panel_fixture as p; r = p.add.delay(20, 22); r.get(timeout=60); print(r.id)`, broker, backend, {}, 90_000)).trim();
    const t = await eventually(
      async () => {
        const r = await agent.get<any>(`/api/v1/tasks/${id}`);
        return r.status === 200 && r.body.state === "SUCCESS" ? r.body : null;
      },
      20_000,
      "task after restart",
    );
    assert.deepEqual(t.result_value, { format: "json", value: 42 });
    const long = await eventually(
      async () => {
        const r = await agent.get<any>(`/api/v1/tasks/${running}`);
        return r.body.state === "SUCCESS" ? r.body : null;
      },
      30_000,
      "the long task finished after the outage",
    );
    assert.ok(!long.timeline.some((e: any) => e.type === "lost" || e.source === "agent"), `never marked lost on the way: ${JSON.stringify(long.timeline)}`);
    await eventually(
      async () => {
        const h = await agent.get<any>("/api/v1/health");
        return Date.parse(h.body.last_event_at) > back;
      },
      15_000,
      "events flow again",
    );
    await agent.stop();
  } finally {
    await stopAll();
    await redis.destroy();
  }
});
