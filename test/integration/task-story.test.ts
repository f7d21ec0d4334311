/**
 * The task list and page tell what really happened, with real workers:
 *  - a task that retried once and then succeeded leads with its result, shows both attempts in its
 *    timeline in order, and is not its own child;
 *  - tasks that ran before the agent started, on workers without result_extended, say why they have
 *    no name, and the overview keeps the workers' own counts per task name and worker;
 *  - without task_send_sent_event (Celery's default), tasks get their queue inferred (the worker's
 *    only queue, or the routing key the worker reports for a message it holds), and `queue=` finds them.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

after(() => stopAll());

/** Celery's defaults: no task-sent events, results without name, arguments, worker or queue. */
const PLAIN = { FIXTURE_EXTRA_SETTINGS: JSON.stringify({ task_send_sent_event: false, result_extended: false }) };

async function task(agent: AgentProcess, id: string): Promise<any> {
  const r = await agent.get<any>(`/api/v1/tasks/${id}`);
  return r.status === 200 ? r.body : null;
}

describe("a task retried once, then successful", () => {
  for (const [label, env] of [
    ["the fixture's settings (events, result_extended, task-sent)", {}],
    ["Celery's defaults", PLAIN],
  ] as const) {
    it(`leads with its result, shows each attempt in order, and is not its own child (${label})`, async () => {
      const redis = await RedisServer.start();
      try {
        await CeleryWorker.start({ name: "retry@panel", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1), env });
        const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1)]);
        const id = (await runPython(`import panel_fixture as p\nr = p.flaky.delay(1)\nr.get(timeout=30)\nprint(r.id)`, redis.url(0), redis.url(1), env)).trim();
        const t = await eventually(
          async () => {
            const d = await task(agent, id);
            return d?.state === "SUCCESS" && d.timeline.some((e: any) => e.type === "task-succeeded") ? d : null;
          },
          20_000,
          "the task's success seen",
        );
        assert.deepEqual(t.result_value, { format: "json", value: "ok after 1 retries" });
        assert.equal(t.exception_info, null, "the retry's exception is not the task's error");
        assert.equal(t.traceback, null);
        assert.equal(t.exception, null);
        assert.equal(t.retries, 1);
        assert.ok(!t.children.includes(id), `not its own child: ${JSON.stringify(t.children)}`);
        // The worker's events, attempt by attempt, in the order the story happened.
        // (task-sent only with task_send_sent_event: the client's send, then the worker's retry, re-sent.)
        const events = t.timeline.filter((e: any) => e.source === "event").map((e: any) => `${e.attempt} ${e.type}`);
        assert.deepEqual(
          events.filter((e: string) => e.endsWith("task-sent")),
          env === PLAIN ? [] : ["1 task-sent", "2 task-sent"],
        );
        assert.deepEqual(
          events.filter((e: string) => !e.endsWith("task-sent")),
          ["1 task-received", "1 task-started", "1 task-retried", "2 task-received", "2 task-started", "2 task-succeeded"],
        );
        const attempts = t.timeline.map((e: any) => e.attempt);
        assert.deepEqual([...attempts].sort(), attempts, `every step in attempt order: ${JSON.stringify(t.timeline)}`);
        const retry = t.timeline.find((e: any) => e.type === "task-retried");
        assert.match(retry.detail, /attempt 0 failed/);
        assert.match(retry.traceback, /RuntimeError\('attempt 0 failed'\)/, "the retry keeps its traceback, in the timeline");
        const row = (await agent.get<any>(`/api/v1/tasks?q=${id}`)).body.tasks[0];
        assert.equal(row.exception, null);
        assert.equal(row.state, "SUCCESS");
      } finally {
        await stopAll();
        await redis.destroy();
      }
    });
  }
});

describe("workers with Celery's defaults (no result_extended, no task-sent events)", () => {
  it("say why tasks from before the agent have no name, keep the workers' counts, and infer queues", async () => {
    const redis = await RedisServer.start();
    try {
      const broker = redis.url(0);
      const backend = redis.url(1);
      await CeleryWorker.start({ name: "plain@panel", concurrency: 2, queues: ["celery"], broker, backend, env: PLAIN });
      // Ran before the agent was watching: the result backend keeps only their outcomes.
      const before = (
        await runPython(
          `import panel_fixture as p
rs = [p.add.delay(i, i) for i in range(3)] + [p.report.delay() for _ in range(2)]
[r.get(timeout=30) for r in rs]
print(" ".join(r.id for r in rs))`,
          broker,
          backend,
          PLAIN,
        )
      )
        .trim()
        .split(" ");
      const agent = await startAgent(["--broker", broker, "--result-backend", backend]);
      await eventually(async () => (await agent.get<any>("/api/v1/health")).body.backfill.state === "done", 15_000, "backfill done");

      const list = (await agent.get<any>("/api/v1/tasks?limit=500")).body;
      const early = list.tasks.filter((r: any) => before.includes(r.id));
      assert.equal(early.length, 5);
      for (const r of early) {
        assert.equal(r.name, null);
        assert.match(r.note, /Only the stored result is known.*before the agent was watching.*result_extended = True/);
      }
      assert.match((await task(agent, before[0]!)).note, /Only the stored result is known/);

      // The overview keeps what the workers ran, per name and worker, beside what the list knows.
      const totals = await eventually(
        async () => {
          const o = (await agent.get<any>("/api/v1/overview")).body;
          return o.task_totals?.ran_reported_by.includes("plain@panel") ? o.task_totals : null;
        },
        15_000,
        "the workers' stats in the overview",
      );
      const byName = Object.fromEntries(totals.by_name.map((r: any) => [r.name, r]));
      assert.deepEqual(byName["panel_fixture.add"], { name: "panel_fixture.add", listed: 0, ran: 3 });
      assert.deepEqual(byName["panel_fixture.report"], { name: "panel_fixture.report", listed: 0, ran: 2 });
      assert.equal(totals.listed_without_name, 5);
      assert.deepEqual(
        totals.by_worker.find((r: any) => r.worker === "plain@panel"),
        { worker: "plain@panel", listed: 0, ran: 5 },
      );

      // While the agent watches: the worker consumes one queue, so its tasks came from there.
      const watched = (
        await runPython(
          `import panel_fixture as p
rs = [p.add.delay(i, 1) for i in range(4)]
[r.get(timeout=30) for r in rs]
print(" ".join(r.id for r in rs))`,
          broker,
          backend,
          PLAIN,
        )
      )
        .trim()
        .split(" ");
      const inCelery = await eventually(
        async () => {
          const r = (await agent.get<any>("/api/v1/tasks?queue=celery&limit=500")).body;
          return watched.every((id) => r.tasks.some((x: any) => x.id === id)) ? r : null;
        },
        20_000,
        "queue=celery finds the tasks run while the agent watched",
      );
      for (const row of inCelery.tasks.filter((x: any) => watched.includes(x.id))) {
        assert.equal(row.name, "panel_fixture.add");
        assert.equal(row.queue, "celery");
        assert.equal(row.queue_source, "worker_queues");
        assert.equal(row.queue_inferred, true);
        assert.equal(row.note, null);
      }
      const queue = (await agent.get<any>("/api/v1/queues/celery")).body;
      assert.ok(
        watched.every((id) => queue.recent_tasks.some((x: any) => x.id === id)),
        "the queue's recent tasks list them",
      );

      // A worker on two queues: the routing key of a message it holds (inspect active) names the queue.
      await CeleryWorker.start({ name: "multi@panel", concurrency: 2, queues: ["celery", "media"], broker, backend, env: PLAIN });
      const slow = (await runPython(`import panel_fixture as p\nprint(p.sleep_for.apply_async((4,), queue="media").id)`, broker, backend, PLAIN)).trim();
      await eventually(async () => (await task(agent, slow))?.state === "STARTED", 15_000, "the slow task started");
      const held = await eventually(
        async () => {
          await agent.get("/api/v1/workers/multi@panel"); // the worker's page asks what it runs
          const t = await task(agent, slow);
          return t?.queue ? t : null;
        },
        15_000,
        "the held task's queue inferred",
      );
      assert.equal(held.queue, "media");
      assert.equal(held.queue_source, "delivery_info");
      assert.equal(held.queue_inferred, true);
      const media = (await agent.get<any>("/api/v1/tasks?queue=media")).body;
      assert.ok(media.tasks.some((x: any) => x.id === slow));
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });
});
