/** Offline detection (live section): extra workers SIGKILLed at random moments, timed until `workers` shows them offline. */
import { setTimeout as sleep } from "node:timers/promises";
import { CeleryWorker, type AgentProcess } from "../../../test/harness/deployment";
import { log, timedGet } from "../../lib/proc";
import { fmtMs, summarize } from "../../lib/stats";
import type { BenchContext } from "../../run";
import { REDIS_BENCH, type BrokerUnderBench } from "./worker-latency";
import { waitForWorkers, type WorkerRow } from "./workers";

export async function offlineDetection(
  ctx: BenchContext,
  agent: AgentProcess,
  broker: string,
  backend: string,
  under: BrokerUnderBench = REDIS_BENCH,
): Promise<void> {
  const n = ctx.quick ? 2 : 5;
  const names = Array.from({ length: n }, (_, i) => `victim${i + 1}@bench`);
  log(`live: starting ${n} workers to kill`);
  const victims = await Promise.all(names.map((name) => CeleryWorker.start({ broker, backend, name, pool: "prefork", concurrency: 1, queues: ["celery"] })));
  await waitForWorkers(agent, names);
  const times: number[] = [];
  for (const v of victims) {
    await sleep(2500 + Math.random() * 2000); // a random phase against its 2 s heartbeat
    await v.kill();
    const t0 = performance.now();
    let seenAt: number | null = null;
    const inflight: Promise<void>[] = [];
    while (seenAt === null && performance.now() - t0 < 30_000) {
      // Overlapping polls every 100 ms: one slow answer does not hide a later one.
      inflight.push(
        timedGet<{ workers: WorkerRow[] }>(`${agent.url}/api/v1/workers`).then(
          (r) => {
            if (r.body.workers?.some((w) => w.name === v.name && w.status === "offline")) seenAt ??= performance.now();
          },
          () => undefined,
        ),
      );
      await sleep(100);
    }
    await Promise.all(inflight);
    times.push((seenAt ?? NaN) - t0);
  }
  const s = summarize(times);
  ctx.figures.push({
    id: `${under.idPrefix}offline.detection`,
    limits: "Celery's rule: a worker is offline after two missed heartbeats (2 x 2 s), counted from its last heartbeat, so 2 to 4 s after a kill plus the poll",
    row: `offline detection${under.idPrefix ? ` (${under.name})` : ""}`,
    what: `SIGKILL a prefork worker (and its pool) at a random moment; time until \`workers\` shows it offline (${n} kills)`,
    value: s.p50,
    unit: "ms",
    target: { op: "<=", limit: 5000, text: "<= 5 s" },
    summary: s,
    note: `worst of ${n}: ${fmtMs(s.max)} (samples ${times.map((x) => fmtMs(x)).join(", ")}). Celery's rule: offline after 2 heartbeat intervals (2 x 2 s) without a heartbeat, counted on the agent's clock; \`workers\` polled every 100 ms.`,
  });
  log(`live: offline detection ${times.map((x) => fmtMs(x)).join(", ")}`);
}
