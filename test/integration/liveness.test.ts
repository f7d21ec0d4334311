/**
 * Telling busy from dead: a solo worker running a task sends no heartbeat and answers nothing, yet
 * it is alive; a worker killed with SIGKILL says nothing either, and is dead.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { eventually, letTimePass, stopAll } from "../harness/deployment";
import { startScenario, type Scenario } from "../harness/scenario";

let s: Scenario;

const workers = async () => new Map<string, any>(((await s.agent.get<any>("/api/v1/workers")).body.workers as any[]).map((w) => [w.name, w]));
const health = async () => (await s.agent.get<any>("/api/v1/health")).body;

before(async () => {
  s = await startScenario({
    workers: [
      { name: "w1@panel", pool: "prefork", concurrency: 2, queues: ["celery"] },
      { name: "solo1@panel", pool: "solo", queues: ["slowlane"] },
      { name: "doomed@panel", pool: "prefork", concurrency: 1, queues: ["celery"] },
      { name: "leaver@panel", pool: "prefork", concurrency: 1, queues: ["celery"] },
    ],
  });
  await eventually(async () => [...(await workers()).values()].filter((w) => w.status === "online" && w.pool).length === 4, 15_000, "four workers online");
});

after(async () => {
  await stopAll();
  await s?.redis.destroy();
});

it("keeps a busy solo worker online, and says what it is running", async () => {
  const id = (await s.python(`import panel_fixture as p; print(p.sleep_for.apply_async((9,), queue="slowlane").id)`)).trim();
  await eventually(async () => (await s.agent.get<any>(`/api/v1/tasks/${id}`)).body.state === "STARTED", 10_000, "task started");
  // Past Celery's offline rule (no heartbeat for 2 x 2 s), the solo worker is still running the task.
  await letTimePass(5000, "past Celery's offline rule while the solo worker runs its task");
  const before = (await health()).remote_control;
  const solo = (await workers()).get("solo1@panel");
  assert.equal(solo.status, "online");
  assert.equal(solo.busy, true);
  assert.match(solo.status_detail, new RegExp(id));
  const detail = (await s.agent.get<any>("/api/v1/workers/solo1@panel")).body;
  assert.match(detail.notes.join(" "), /not asked/);
  const overview = (await s.agent.get<any>("/api/v1/overview")).body;
  assert.equal(overview.workers.busy, 1);
  assert.ok(overview.tasks.active >= 1, "the busy worker's task counts as active");
  // Nobody waited for the silent worker: every broadcast since ended early.
  const after = (await health()).remote_control;
  assert.equal(after.timeouts, before.timeouts, `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  assert.ok(after.broadcasts > before.broadcasts);
});

it("shows a worker killed with SIGKILL as offline within seconds", async () => {
  await s.workers.get("doomed@panel")!.kill();
  const killedAt = Date.now();
  const w = await eventually(
    async () => {
      const d = (await workers()).get("doomed@panel");
      return d?.status === "offline" ? d : null;
    },
    15_000,
    "doomed offline",
  );
  assert.match(w.status_detail, /no heartbeat for \d+ s/);
  assert.ok(Date.now() - killedAt >= 3000, "not declared dead before Celery's 2 x heartbeat rule");
  // Still listed: a dead worker is something to see, not to hide.
  assert.ok((await workers()).has("doomed@panel"));
  assert.equal((await s.agent.get<any>("/api/v1/overview")).body.workers.offline, 1);
});

it("shows a worker that shut down as offline at once", async () => {
  await s.workers.get("leaver@panel")!.stop();
  const w = await eventually(
    async () => {
      const d = (await workers()).get("leaver@panel");
      return d?.status === "offline" ? d : null;
    },
    5000,
    "leaver offline",
  );
  assert.match(w.status_detail, /shut down/);
});
