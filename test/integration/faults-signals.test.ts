/**
 * The agent stopped with SIGTERM or SIGINT while a remote-control call waits on a worker that never
 * answers (a real worker, SIGSTOPped): it removes its reply binding and list, and exits within 2 s.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { Redis } from "ioredis";
import { CeleryWorker, eventually, RedisServer, startAgent, stopAll } from "../harness/deployment";

let redis: RedisServer;
let probe: Redis;
let frozen: CeleryWorker;
const REPLY_BINDINGS = "_kombu.binding.reply.celery.pidbox";

before(async () => {
  redis = await RedisServer.start();
  probe = new Redis(redis.port, "127.0.0.1", { db: 0 });
  frozen = await CeleryWorker.start({ name: "frozen@faults", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
});

after(async () => {
  try {
    process.kill(frozen.pid, "SIGCONT");
  } catch {
    /* gone already */
  }
  probe?.disconnect();
  await stopAll();
  await redis?.destroy();
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  it(`on ${signal}: removes its reply binding and list, and exits within 2 s with a broadcast in flight`, async () => {
    // Long enough that only the signal can end the call.
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--inspect-timeout", "20000"]);
    await eventually(
      async () => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).some((w) => w.name === "frozen@faults" && w.status === "online"),
      20_000,
      "worker online",
    );
    process.kill(frozen.pid, "SIGSTOP");
    try {
      // Asked while still judged online: the agent waits for the answer that never comes.
      const pending = agent.get("/api/v1/workers/frozen@faults").catch(() => null);
      const members = await eventually(
        async () => {
          const m = await probe.smembers(REPLY_BINDINGS);
          return m.length ? m : null;
        },
        10_000,
        "reply binding in place",
      );
      const replyQueue = members[0]!.split("\x06\x16").at(-1)!;
      const exited = new Promise<number | null>((r) => agent.child.once("exit", (code) => r(code)));
      const sentAt = performance.now();
      agent.child.kill(signal);
      const code = await exited;
      const took = performance.now() - sentAt;
      assert.equal(code, 0);
      assert.ok(took < 2000, `exited ${Math.round(took)} ms after ${signal}`);
      assert.deepEqual(await probe.smembers(REPLY_BINDINGS), [], "no reply binding left behind");
      assert.equal(await probe.exists(replyQueue), 0, "no reply list left behind");
      assert.deepEqual(await probe.keys("*reply.celery.pidbox*"), []);
      assert.match(agent.output(), new RegExp(`${signal}: stopping`));
      await pending;
    } finally {
      process.kill(frozen.pid, "SIGCONT");
    }
  });
}
