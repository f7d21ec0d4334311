/**
 * Workers that die, come back under the same name, or run on a wrong clock, with real Celery workers:
 * a SIGKILLed worker's running task is marked LOST with the worker that held it; a restart under the
 * same name is one entry with the new process; a worker two hours ahead (faketime) stays online and
 * its task times are put back on the agent's clock.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CeleryWorker, eventually, letTimePass, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

let redis: RedisServer;
let agent: AgentProcess;
let broker: string;
let backend: string;
const killed: CeleryWorker[] = [];

const worker = async (name: string) => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).find((w) => w.name === name);
const task = async (id: string) => (await agent.get<any>(`/api/v1/tasks/${id}`)).body;
const send = async (code: string) => (await runPython(`import panel_fixture as p; ${code}`, broker, backend)).trim();

before(async () => {
  redis = await RedisServer.start();
  broker = redis.url(0);
  backend = redis.url(1);
  agent = await startAgent(["--broker", broker, "--result-backend", backend]);
});

after(async () => {
  // faketime runs the worker as its child: only the process group's SIGKILL reaches it.
  await Promise.allSettled(killed.map((w) => w.kill()));
  await stopAll();
  await redis?.destroy();
});

async function startWorker(name: string, queue: string, extra: Partial<Parameters<typeof CeleryWorker.start>[0]> = {}): Promise<CeleryWorker> {
  const w = await CeleryWorker.start({ name, pool: "prefork", concurrency: 1, queues: [queue], broker, backend, ...extra });
  killed.push(w);
  await eventually(async () => (await worker(name))?.status === "online", 20_000, `${name} online`);
  return w;
}

async function startedOn(queue: string, seconds: number): Promise<string> {
  const id = await send(`print(p.sleep_for.apply_async((${seconds},), queue="${queue}").id)`);
  await eventually(async () => (await task(id)).state === "STARTED", 20_000, `task ${id} started`);
  return id;
}

it("marks the running task of a worker killed with SIGKILL as LOST on that worker, within 5 s", async () => {
  const w = await startWorker("doomed@faults", "q_doomed");
  const id = await startedOn("q_doomed", 30);
  await w.kill();
  const killedAt = Date.now();
  const lost = await eventually(
    async () => {
      const t = await task(id);
      return t.state === "LOST" ? t : null;
    },
    15_000,
    "task lost",
  );
  const offline = await worker("doomed@faults");
  assert.equal(offline.status, "offline");
  assert.ok(Date.now() - killedAt < 5000 + 1000, `lost ${Date.now() - killedAt} ms after the kill (offline within 5 s, swept every 0.5 s)`);
  assert.equal(lost.lost.worker, "doomed@faults");
  assert.match(lost.lost.reason, /went offline: no heartbeat/);
  assert.equal(lost.timeline.at(-1).type, "lost");
  assert.equal(lost.timeline.at(-1).source, "agent");
  const listed = (await agent.get<any>("/api/v1/tasks?state=LOST")).body;
  assert.deepEqual(
    listed.tasks.map((t: any) => t.id),
    [id],
  );
  // The backend still says STARTED (the dead worker never wrote again); the next pass does not revive it.
  assert.equal((await agent.get<any>("/api/v1/tasks?state=STARTED")).body.total, 0);
});

it("a worker restarted under the same name: one entry, online, new pid, its old process's task LOST", async () => {
  const first = await startWorker("phoenix@faults", "q_phoenix");
  const oldPid = (await worker("phoenix@faults")).pid;
  const id = await startedOn("q_phoenix", 30);
  await first.kill();
  // Back before the agent would judge it offline: only the new pid tells the restart.
  await startWorker("phoenix@faults", "q_phoenix");
  const w = await eventually(
    async () => {
      const x = await worker("phoenix@faults");
      return x.pid !== oldPid && x.status === "online" ? x : null;
    },
    15_000,
    "new process seen",
  );
  assert.ok(w.restarted_at, "the restart is dated");
  const all = ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).filter((x) => x.name === "phoenix@faults");
  assert.equal(all.length, 1);
  const t = await eventually(
    async () => {
      const x = await task(id);
      return x.state === "LOST" ? x : null;
    },
    15_000,
    "old process's task lost",
  );
  assert.equal(t.lost.worker, "phoenix@faults");
  assert.match(t.lost.reason, new RegExp(`restarted \\(pid ${oldPid} replaced by ${w.pid}\\)`));
  // Counters are the new process's: it has finished nothing yet.
  const again = await eventually(
    async () => {
      const x = await worker("phoenix@faults");
      return x.processed !== null ? x : null;
    },
    10_000,
    "new heartbeat counters",
  );
  assert.equal(again.processed, 0);
  // The new process works, and its task is not mistaken for the old one's.
  const fresh = await send(`r = p.add.apply_async((2, 3), queue="q_phoenix"); r.get(timeout=60); print(r.id)`);
  await eventually(async () => (await task(fresh)).state === "SUCCESS", 20_000, "new process ran a task");
});

it("a worker whose clock is two hours ahead stays online, and its task times are corrected by the measured skew", async () => {
  // Check that faketime really moves Python's clock, or the test proves nothing.
  const { execFileSync } = await import("node:child_process");
  const shifted = Number(execFileSync("faketime", ["-f", "+2h", "/usr/bin/python3", "-c", "import time; print(time.time())"]).toString());
  assert.ok(Math.abs(shifted - Date.now() / 1000 - 7200) < 60, `faketime shifts Python's time.time() (${shifted})`);

  await startWorker("ahead@faults", "q_ahead", { wrapper: ["faketime", "-f", "+2h"] });
  const w = await eventually(
    async () => {
      const x = await worker("ahead@faults");
      return x.clock_skew_seconds !== null && x.clock_skew_seconds !== undefined && Math.abs(x.clock_skew_seconds - 7200) < 60 ? x : null;
    },
    20_000,
    "skew measured",
  );
  assert.equal(w.status, "online");
  assert.match(w.clock_note, /2 h ahead of the agent's/);
  assert.ok(Math.abs(Date.parse(w.last_heartbeat) - Date.now()) < 30_000, "heartbeats dated on the agent's clock");
  const detail = (await agent.get<any>("/api/v1/workers/ahead@faults")).body;
  assert.ok(Math.abs(detail.clock_skew_seconds - 7200) < 60);

  const before = Date.now();
  const id = await send(`r = p.add.apply_async((20, 22), queue="q_ahead"); r.get(timeout=60); print(r.id)`);
  const t = await eventually(
    async () => {
      const x = await task(id);
      return x.state === "SUCCESS" && x.started && x.received && x.finished ? x : null;
    },
    20_000,
    "task done",
  );
  for (const field of ["received", "started", "finished"]) {
    const at = Date.parse(t[field]);
    assert.ok(at > before - 60_000 && at < Date.now() + 60_000, `${field} ${t[field]} is on the agent's clock, not two hours ahead`);
  }
  // The stored result's date_done too (the worker's clock as well): every step of the timeline is on the agent's clock.
  await eventually(async () => (await task(id)).timeline.some((e: any) => e.source === "result_backend"), 10_000, "backend write seen");
  for (const e of (await task(id)).timeline) {
    const at = Date.parse(e.at);
    assert.ok(at > before - 60_000 && at < Date.now() + 60_000, `${e.type} (${e.source}) at ${e.at} is on the agent's clock`);
  }
  // Still online after several heartbeats: never judged by its own clock.
  await letTimePass(5000, "several heartbeats from the worker whose clock is ahead");
  assert.equal((await worker("ahead@faults")).status, "online");
});
