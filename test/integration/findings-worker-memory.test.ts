/**
 * Memory growing, against a real worker: a task on a threads pool (so in the worker's own process,
 * whose rusage `stats` reports; a prefork child's memory is not in it) allocates and keeps memory for
 * over a minute, after the agent has sampled it idle for a while. The agent samples max RSS with
 * `stats` every 10 s; the finding needs a minute of growth at every sample since the growth began,
 * and goes at the first sample after it stops.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, letTimePass, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { evidence, Findings } from "../harness/findings";

const MB_PER_SECOND = 2;
const LEAK_SECONDS = 75;

let redis: RedisServer;
let agent: AgentProcess;
let findings: Findings;

before(async () => {
  redis = await RedisServer.start();
  await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "leaky@memory", pool: "threads", concurrency: 1 });
  agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-memory"]);
  findings = new Findings(agent);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a worker whose memory grows", () => {
  it("is said to grow while a task keeps allocating, and no longer once it stops", async () => {
    // Watched before the leak begins, as a deployment would be: the agent's first samples are flat,
    // and the growth after them is still a leak.
    for (let i = 0; i < 3; i++) {
      assert.equal(await findings.find("worker_memory_growing", "leaky@memory"), undefined);
      await letTimePass(8000, "a stats sample of the idle worker");
    }
    const code = `import panel_fixture as p\nprint(p.grow_memory.apply_async((${MB_PER_SECOND}, ${LEAK_SECONDS}), time_limit=300, soft_time_limit=290).id)`;
    await runPython(code, redis.url(0), redis.url(1));
    const growing = await findings.appears("worker_memory_growing", "leaky@memory", 150_000);
    assert.equal(growing.severity, "warning");
    const then = Number(evidence(growing, "max RSS then (kB)", "inspect"));
    const now = Number(evidence(growing, "max RSS now (kB)", "inspect"));
    // A minute at 2 MB/s: over 100 MB more, whatever the worker's size at the start.
    assert.ok(now - then > 100 * 1024, `grew from ${then} to ${now} kB`);
    assert.ok(Number(evidence(growing, "stats samples", "inspect")) >= 3);
    assert.equal(evidence(growing, "worker_max_memory_per_child (kB)", "configuration"), null);
    assert.match(growing.sentence, /^leaky@memory's memory \(max RSS\) grew from \d+ MB to \d+ MB in \d+ s, at every sample/);

    // The task ends: the next sample is no higher, and the finding goes.
    await findings.goes("worker_memory_growing", "leaky@memory", LEAK_SECONDS * 1000 + 60_000);
  });
});
