/**
 * Liveness before the agent has inspected a worker. Worker events do not say the pool (a solo worker
 * goes quiet while busy, a prefork one keeps heartbeating), so a worker met for the first time has
 * to be judged without it: a solo worker given a long task in its first seconds, or already busy
 * when the agent starts, is alive and working; a prefork worker killed mid-task is still dead.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { eventually, letTimePass, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { startScenario, type Scenario } from "../harness/scenario";

let s: Scenario;

const workerOn = async (a: AgentProcess, name: string) => ((await a.get<any>("/api/v1/workers")).body.workers as any[]).find((w) => w.name === name);
const taskOn = async (a: AgentProcess, id: string) => (await a.get<any>(`/api/v1/tasks/${id}`)).body;
const sleepTask = async (queue: string, seconds: number) =>
  (await s.python(`import panel_fixture as p; print(p.sleep_for.apply_async((${seconds},), queue="${queue}").id)`)).trim();
const startWorker = (name: string, pool: "solo" | "prefork", queue: string) =>
  s.startWorker({ name, pool, concurrency: pool === "prefork" ? 1 : undefined, queues: [queue], events: true });
let agent: AgentProcess;

/**
 * Polls the worker list and the task until the task has finished: the worker must be online every
 * time, the task never LOST. Returns what was seen while the task ran.
 */
async function watchThrough(a: AgentProcess, name: string, id: string): Promise<{ busy: any[]; silentOnline: number; final: any }> {
  const busy: any[] = [];
  let silentOnline = 0;
  const until = Date.now() + 60_000;
  for (;;) {
    const t = await taskOn(a, id);
    const w = await workerOn(a, name);
    assert.notEqual(t.state, "LOST", `task LOST while its worker was alive: ${JSON.stringify(t.lost)}`);
    assert.equal(w?.status, "online", `${name} must stay online while it runs the task: ${JSON.stringify(w)} (task ${t.state})`);
    if (t.state === "SUCCESS") return { busy, silentOnline, final: t };
    if (w.busy) busy.push(w);
    // Past Celery's rule (no heartbeat for 2 x freq): the case this test is about.
    const heard = w.last_heartbeat ? Date.parse(w.last_heartbeat) : 0;
    if (t.state === "STARTED" && Date.now() - heard > 2 * w.heartbeat_interval * 1000 + 500) silentOnline++;
    assert.ok(Date.now() < until, `task ${id} still ${t.state} after 60 s`);
    // Every sample is checked (the worker online each time), so this polls at its own pace.
    await letTimePass(400, "the next sample of the worker and its task");
  }
}

before(async () => {
  // The agent first (no workers yet): every worker below is met for the first time, never inspected before.
  s = await startScenario({ workers: [] });
  agent = s.agent;
});

after(async () => {
  await Promise.allSettled([...s.workers.values()].map((w) => w.kill()));
  await stopAll();
  await s?.redis.destroy();
});

it("a solo worker given a long task in its first seconds stays online and busy, and the task is never LOST", async () => {
  await startWorker("fresh-solo@first", "solo", "q_fresh_solo");
  // At once, before anything has asked for the workers or inspected them.
  const id = await sleepTask("q_fresh_solo", 12);
  const { busy, silentOnline, final } = await watchThrough(agent, "fresh-solo@first", id);
  assert.equal(final.state, "SUCCESS");
  assert.ok(silentOnline > 0, "the worker was silent past Celery's offline rule at least once while the test watched");
  assert.ok(busy.length > 0, "shown busy while running the task");
  for (const w of busy) assert.match(w.status_detail, new RegExp(`busy running panel_fixture.sleep_for \\(${id}\\)`));
  // Free again: it answers, and the agent now knows its pool.
  const known = await eventually(
    async () => {
      const w = await workerOn(agent, "fresh-solo@first");
      return w?.pool === "solo" ? w : null;
    },
    20_000,
    "solo pool learned",
  );
  assert.equal(known.status, "online");
  assert.equal(known.busy, false);
});

it("a solo worker that finds a long task waiting when it starts is online and busy from its first second", async () => {
  // Queued before the worker exists: it starts the task right after coming online, maybe before it can answer stats.
  const id = await sleepTask("q_waiting_solo", 10);
  await startWorker("waiting-solo@first", "solo", "q_waiting_solo");
  const { busy, final } = await watchThrough(agent, "waiting-solo@first", id);
  assert.equal(final.state, "SUCCESS");
  assert.ok(busy.length > 0, "shown busy while running the task");
  for (const w of busy) assert.match(w.status_detail, new RegExp(`busy running panel_fixture.sleep_for \\(${id}\\)`));
});

it("a prefork worker keeps heartbeating while its task runs, and killed mid-task is offline with the task LOST", async () => {
  const w = await startWorker("fresh-prefork@first", "prefork", "q_fresh_prefork");
  const id = await sleepTask("q_fresh_prefork", 30);
  // Only the task is read (no workers request): the agent must have learned the pool on its own.
  const started = await eventually(
    async () => {
      const t = await taskOn(agent, id);
      return t.state === "STARTED" ? t : null;
    },
    20_000,
    "task started",
  );
  await letTimePass(5000, "several heartbeat intervals while the prefork worker runs the task");
  assert.equal((await taskOn(agent, id)).state, "STARTED");
  await w.kill();
  const lost = await eventually(
    async () => {
      const t = await taskOn(agent, id);
      return t.state === "LOST" ? t : null;
    },
    20_000,
    "task lost",
  );
  assert.equal(lost.lost.worker, "fresh-prefork@first");
  assert.match(lost.lost.reason, /went offline: no heartbeat/);
  const dead = await workerOn(agent, "fresh-prefork@first");
  assert.equal(dead.status, "offline");
  assert.equal(dead.pool, "prefork");
  // Its heartbeats went on while the task ran (one came more than an interval after the start):
  // silence from a prefork worker does mean dead.
  assert.ok(
    Date.parse(dead.last_heartbeat) > Date.parse(started.started) + dead.heartbeat_interval * 1000,
    `${dead.last_heartbeat} vs started ${started.started}`,
  );
});

it("an agent started while a solo worker is mid-task shows it online and busy, not dead", async () => {
  await startWorker("midtask-solo@first", "solo", "q_midtask_solo");
  // Long enough that the late agent, started and backfilled on a loaded machine, still meets it running.
  const id = await sleepTask("q_midtask_solo", 20);
  await eventually(async () => (await taskOn(agent, id)).state === "STARTED", 20_000, "task started");
  const late = await startAgent(["--broker", s.broker, "--result-backend", s.backend]);
  await eventually(async () => (await late.get<any>("/api/v1/health")).body.backfill?.state === "done", 20_000, "late agent read the result backend");
  const { busy, final } = await watchThrough(late, "midtask-solo@first", id);
  assert.equal(final.state, "SUCCESS");
  assert.ok(busy.length > 0, "shown busy while running the task");
  assert.match(busy[0].status_detail, new RegExp(id));
  await late.stop();
});
