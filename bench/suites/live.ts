/**
 * The live section: a private redis-server, four real Celery workers and the agent, and the five
 * benchmarks that run against them, in this order (one file each in live/):
 *   - record.ts: the real events and result-backend records, for the ingest and tasks sections;
 *   - worker-latency.ts: `workers` and `workers/:name` against `celery inspect stats`;
 *   - coalescing.ts: 50 polling clients, broadcasts counted with MONITOR;
 *   - panel-first-paint.ts: headless Chromium opening the built panel (when the build section ran);
 *   - offline-detection.ts: extra workers SIGKILLed at random moments.
 */
import { join } from "node:path";
import { CeleryWorker, RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { startBenchAgent } from "../lib/agent";
import { log } from "../lib/proc";
import type { BenchContext } from "../run";
import { coalescing } from "./live/coalescing";
import { offlineDetection } from "./live/offline-detection";
import { panelFirstPaint } from "./live/panel-first-paint";
import { record, type LiveOutput } from "./live/record";
import { workerLatency } from "./live/worker-latency";
import { waitForWorkers, WORKERS } from "./live/workers";

export async function liveSuite(ctx: BenchContext): Promise<LiveOutput> {
  const redis = await RedisServer.start();
  const broker = redis.url(0);
  const backend = redis.url(1);
  const out: LiveOutput = { eventsPath: join(ctx.tmpDir, "events.json"), metasPath: join(ctx.tmpDir, "metas.json") };
  let agent: AgentProcess | null = null;
  try {
    log(`live: redis-server on ${redis.port}, starting ${WORKERS.length} workers`);
    await Promise.all(
      WORKERS.map((name) => CeleryWorker.start({ broker, backend, name, pool: "prefork", concurrency: 1, queues: ["celery", "media", "audit"] })),
    );
    agent = await startBenchAgent(["--broker", broker, "--result-backend", backend, "--name", "bench"]);
    await waitForWorkers(agent, WORKERS);

    await record(ctx, broker, backend, out);
    await workerLatency(ctx, agent, broker, backend);
    await coalescing(ctx, agent, broker);
    if (ctx.panelFirstPaint) await panelFirstPaint(ctx, agent);
    await offlineDetection(ctx, agent, broker, backend);
  } finally {
    await agent?.stop().catch(() => undefined);
    await stopAll();
    await redis.destroy().catch(() => undefined);
  }
  return out;
}
