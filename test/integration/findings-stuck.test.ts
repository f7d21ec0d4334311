/**
 * Lost or stuck work against real workers, with the agent's --stuck-after lowered to seconds (what a
 * deployment of short tasks would choose): a task STARTED far past its name's p95 on a prefork
 * worker (which keeps heartbeating) is running long; the same on a solo worker (silent while busy)
 * is also a silent busy worker; both go once the tasks end. Tasks running on a worker killed with
 * SIGKILL are LOST, summarised once for that worker.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TaskList, WorkerDetail } from "../../agent/api/schema";
import { contractGet } from "../harness/contract";
import { CeleryWorker, eventually, RedisServer, startAgent, stopAll } from "../harness/deployment";
import { evidenceOf, FindingsProbe } from "../harness/findings";

const STUCK_AFTER_S = 6;
const SHORT_RUNS = 20;
const LONG_S = 22;

let redis: RedisServer;
let probe: FindingsProbe;
let broker: string;
let backend: string;

/** The tasks named `name` in `state` the agent holds. */
async function count(name: string, state: string): Promise<number> {
  return (await probe.agent.get<TaskList>(`/api/v1/tasks?name=${name}&state=${state}&limit=1`)).body.total;
}
/** Sends `n` sleep tasks of `seconds` to `queue`; returns their ids. */
async function sleepers(n: number, seconds: number, queue: string): Promise<string[]> {
  const code = `import json\nprint(json.dumps([p.sleep_for.apply_async((${seconds},), queue="${queue}").id for _ in range(${n})]))`;
  return JSON.parse(await probe.send(code)) as string[];
}
const allStarted = async (ids: string[]) => {
  for (const id of ids) if ((await probe.why(id)).state !== "STARTED") return false;
  return true;
};

before(async () => {
  redis = await RedisServer.start();
  [broker, backend] = [redis.url(0), redis.url(1)];
  await Promise.all([
    CeleryWorker.start({ broker, backend, name: "beating@stuck", pool: "prefork", concurrency: 2, queues: ["steady"] }),
    CeleryWorker.start({ broker, backend, name: "solo@stuck", pool: "solo", queues: ["quiet"] }),
  ]);
  const agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "stuck-agent", "--stuck-after", String(STUCK_AFTER_S)]);
  probe = new FindingsProbe(agent, broker, backend);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a task running far longer than its name's p95", () => {
  it("is running long on either pool, and the silent solo worker is suspect, until the tasks end", async () => {
    // The usual runtime: twenty short runs, seen by the agent. (Asking for findings meanwhile would
    // have the agent note the name has too few runs for a p95, an answer it keeps for 30 s.)
    await sleepers(SHORT_RUNS, 0.1, "steady");
    await eventually(async () => (await count("panel_fixture.sleep_for", "SUCCESS")) === SHORT_RUNS, 30_000, "the short runs done");
    const [onPrefork] = await sleepers(1, LONG_S, "steady");
    const [onSolo] = await sleepers(1, LONG_S, "quiet");

    const long = await probe.appears("task_running_long", onPrefork!, 20_000);
    assert.equal(long.severity, "warning");
    assert.match(
      long.sentence,
      new RegExp(`Task ${onPrefork} \\(panel_fixture\\.sleep_for\\) has run on beating@stuck for \\d+ s, where this task usually takes`),
    );
    assert.deepEqual(evidenceOf(long, "worker"), { value: "beating@stuck", source: "events" });
    const p95 = evidenceOf(long, "usual runtime, p95 (s)");
    assert.equal(p95?.source, "events");
    assert.ok(typeof p95?.value === "number" && p95.value >= 0.1 && p95.value < 1, `the short runs' p95: ${p95?.value}`);
    const ran = evidenceOf(long, "running for (s)");
    // Past p95 + --stuck-after, said in whole seconds: at least STUCK_AFTER_S once rounded.
    assert.ok(typeof ran?.value === "number" && ran.value >= STUCK_AFTER_S, JSON.stringify(ran));

    // The solo worker's task is running long too, and the worker, silent while it runs, is suspect.
    await probe.appears("task_running_long", onSolo!, 20_000);
    const silent = await probe.appears("worker_silent_busy", "solo@stuck", 20_000);
    assert.match(silent.sentence, new RegExp(`solo@stuck has been silent while running panel_fixture\\.sleep_for \\(${onSolo}\\)`));
    assert.deepEqual(evidenceOf(silent, "running task"), { value: onSolo, source: "events" });
    assert.equal(evidenceOf(silent, "last heard")?.source, "events");
    // The workers view says it too, with the same threshold.
    const solo = await contractGet<WorkerDetail>(probe.agent, "worker", "workers/solo@stuck");
    assert.match(String(solo.status_detail), /the worker may be dead/);
    // The prefork worker heartbeats while busy: it is not silent.
    assert.equal(await probe.find("worker_silent_busy", "beating@stuck"), undefined);

    await eventually(async () => (await count("panel_fixture.sleep_for", "SUCCESS")) === SHORT_RUNS + 2, 40_000, "the long runs done");
    await probe.disappears("task_running_long", onPrefork!);
    await probe.disappears("task_running_long", onSolo!);
    await probe.disappears("worker_silent_busy", "solo@stuck");
  });
});

describe("a worker killed with SIGKILL while running tasks", () => {
  it("lost them: one finding for the worker, naming each task", async () => {
    const doomed = await CeleryWorker.start({ broker, backend, name: "doomed@stuck", pool: "prefork", concurrency: 2, queues: ["doomed"] });
    const ids = await sleepers(2, 30, "doomed");
    await eventually(() => allStarted(ids), 20_000, "both tasks running");
    await doomed.kill();

    const lost = await probe.appears("tasks_lost", "doomed@stuck", 60_000);
    assert.equal(lost.severity, "problem");
    assert.deepEqual(lost.subject, { type: "worker", id: "doomed@stuck" });
    assert.match(lost.sentence, /^2 tasks were lost with doomed@stuck \(panel_fixture\.sleep_for\), the last \d+ s ago: it is offline/);
    assert.deepEqual(evidenceOf(lost, "tasks lost"), { value: 2, source: "events" });
    const named = String(evidenceOf(lost, "task ids")?.value);
    for (const id of ids) assert.ok(named.includes(id), `${id} in ${named}`);
    for (const id of ids) assert.equal((await probe.why(id)).state, "LOST");
    // Each task is in the worker's one finding, not one of its own.
    assert.equal((await probe.list("?kind=tasks_lost")).findings.length, 1);

    // The worker back (a new process, same name) does not bring the tasks back: still news, said so.
    await CeleryWorker.start({ broker, backend, name: "doomed@stuck", pool: "prefork", concurrency: 2, queues: ["doomed"] });
    const back = await eventually(
      async () => {
        const f = await probe.find("tasks_lost", "doomed@stuck");
        return f && !/it is offline/.test(f.sentence) && f;
      },
      30_000,
      "the finding following the worker back",
    );
    assert.match(back.sentence, /: it restarted, and nothing says they finished\.$/);
  });
});
