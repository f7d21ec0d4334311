/**
 * Early return, measured as a caller sees it: with a long --inspect-timeout, a request that asks
 * real idle workers must come back as soon as they have answered, not at the timeout. (The
 * `early` counter in health is set by the same code that ends the loop, so it cannot tell.)
 * A wide margin, not a tight timing: the timeout is 8 s and the bound 4 s.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { contractGet } from "../harness/contract";
import { CeleryWorker, eventually, letTimePass, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const INSPECT_TIMEOUT_MS = 8000;
const WELL_UNDER_MS = 4000;
const NAMES = ["prefork@early", "solo@early"];
let redis: RedisServer;
let agent: AgentProcess;

before(async () => {
  redis = await RedisServer.start();
  const broker = redis.url(0);
  const backend = redis.url(1);
  await Promise.all([
    CeleryWorker.start({ broker, backend, name: NAMES[0]!, pool: "prefork", concurrency: 1 }),
    CeleryWorker.start({ broker, backend, name: NAMES[1]!, pool: "solo" }),
  ]);
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--inspect-timeout", String(INSPECT_TIMEOUT_MS)]);
  // Early return waits for the workers known alive: both must be known (from their heartbeats) first.
  await eventually(
    async () => {
      const { workers } = await contractGet<any>(agent, "workers", "workers");
      return NAMES.every((n) => workers.some((w: any) => w.name === n && w.status === "online" && w.pool));
    },
    60_000,
    "both workers online with their stats",
  );
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

/** Times one request, and checks it really asked the workers (a cached answer would prove nothing). */
async function timed(name: "worker" | "workers", path: string): Promise<number> {
  await letTimePass(2100, "the cached stats (fresh 2 s) go stale, so the request broadcasts");
  const broadcasts = async () => (await contractGet<any>(agent, "health", "health")).remote_control.broadcasts as number;
  const before = await broadcasts();
  const started = performance.now();
  await contractGet<any>(agent, name, path);
  const elapsed = performance.now() - started;
  assert.ok((await broadcasts()) > before, `${path} asked the workers`);
  return elapsed;
}

it("workers/:name returns well before --inspect-timeout once the worker has answered", async () => {
  const ms = await timed("worker", `workers/${NAMES[1]}`);
  assert.ok(ms < WELL_UNDER_MS, `workers/${NAMES[1]} took ${Math.round(ms)} ms with --inspect-timeout ${INSPECT_TIMEOUT_MS}`);
});

it("workers returns well before --inspect-timeout once every live worker has answered", async () => {
  const ms = await timed("workers", "workers");
  assert.ok(ms < WELL_UNDER_MS, `workers took ${Math.round(ms)} ms with --inspect-timeout ${INSPECT_TIMEOUT_MS}`);
});
