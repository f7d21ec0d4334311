/**
 * The deployment the findings section measures: a private redis-server holding 1M result-backend
 * records (the tasks section's generator), 1,000 bound queues of which 50 hold messages (the other
 * 950 emptied: a queue nobody consumes and holding nothing is no finding), `deep` with 100,000
 * messages, `parked` bound and empty (the recompute trials fill it), one idle real worker on
 * `celery`, and the bundled agent holding every task.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { CeleryWorker, type AgentProcess, type RedisServer, runPython } from "../../../test/harness/deployment";
import { startBenchAgent } from "../../lib/agent";
import { generateMetas } from "../../lib/generate";
import { log, timedGet } from "../../lib/proc";
import { openRedisPipe } from "../../lib/redis-pipe";
import { fmtMs } from "../../lib/stats";
import { message, populate, resp } from "../queues";

export const QUEUES = 1000;
/** One queue in this many keeps its messages. */
const KEEP_EVERY = 20;
export const DEEP_QUEUE = "deep";
export const DEEP_MESSAGES = 100_000;
export const PARKED_QUEUE = "parked";
const SEP = "\x06\x16";

export interface FindingsDeployment {
  agent: AgentProcess;
  worker: CeleryWorker;
  tasksHeld: number;
  notes: string[];
}

/** Real result-backend records as templates: the live section's, or a few tasks run now. */
async function templates(redis: RedisServer, metasPath: string): Promise<string[]> {
  if (existsSync(metasPath)) return JSON.parse(readFileSync(metasPath, "utf8")) as string[];
  await runPython(
    [
      "import panel_fixture as p",
      // The worker consumes `celery` only: the tasks routed elsewhere (media, audit) are left out.
      "rs = [p.add.delay(i, 1) for i in range(8)] + [p.report.delay(kind='daily'), p.fail.delay('bad input')]",
      "for r in rs: r.get(timeout=30, propagate=False)",
    ].join("\n"),
    redis.url(0),
    redis.url(1),
  );
  const c = new Redis(redis.port, { db: 1 });
  try {
    const keys = await c.keys("celery-task-meta-*");
    return (await c.mget(...keys)).filter((v): v is string => v !== null);
  } finally {
    c.disconnect();
  }
}

async function fillQueues(port: number): Promise<{ kept: number; messages: number }> {
  await populate(port, QUEUES);
  const pipe = openRedisPipe(port, 0);
  let kept = 0;
  let messages = 0;
  for (let i = 0; i < QUEUES; i++) {
    const name = `queue-${String(i).padStart(5, "0")}`;
    if (i % KEEP_EVERY === 0) kept++;
    else await pipe.write(resp("DEL", name, ...[3, 6, 9].map((s) => `${name}${SEP}${s}`)));
  }
  const extra = [DEEP_QUEUE, PARKED_QUEUE].map((q) => resp("SADD", "_kombu.binding.bench-extra", `${q}${SEP}${SEP}${q}`));
  await pipe.write(extra.join(""));
  for (let i = 0; i < DEEP_MESSAGES; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, k) => message(DEEP_QUEUE, 0, 1_000_000 + i + k));
    await pipe.write(resp("RPUSH", DEEP_QUEUE, ...batch));
  }
  await pipe.finish();
  const c = new Redis(port, { db: 0 });
  try {
    for (let i = 0; i < QUEUES; i += KEEP_EVERY) {
      const name = `queue-${String(i).padStart(5, "0")}`;
      messages += await c.llen(name);
    }
  } finally {
    c.disconnect();
  }
  return { kept, messages };
}

export async function startFindingsDeployment(redis: RedisServer, metasPath: string, taskCount: number): Promise<FindingsDeployment> {
  const notes: string[] = [];
  const worker = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "idle@bench", pool: "solo", queues: ["celery"] });
  const recorded = await templates(redis, metasPath);
  const gen = await generateMetas({ port: redis.port, db: 1, count: taskCount, templates: recorded, now: Date.now() });
  notes.push(`${taskCount.toLocaleString("en-US")} result-backend records generated in ${fmtMs(gen.ms)} from ${recorded.length} real ones`);
  const q = await fillQueues(redis.port);
  notes.push(
    `${QUEUES.toLocaleString("en-US")} bound queues, ${q.kept} of them holding ${q.messages.toLocaleString("en-US")} messages (no consumer: a finding each), \`${DEEP_QUEUE}\` holding ${DEEP_MESSAGES.toLocaleString("en-US")}`,
  );
  log(`findings: ${notes.join("; ")}`);
  const t0 = performance.now();
  const agent = await startBenchAgent([
    "--broker",
    redis.url(0),
    "--result-backend",
    redis.url(1),
    "--max-tasks",
    String(taskCount + 1000),
    "--name",
    "bench-findings",
  ]);
  let held = 0;
  for (;;) {
    const h = (await timedGet<{ tasks_held: number; backfill: { state: string } }>(`${agent.url}/api/v1/health`)).body;
    held = h.tasks_held;
    if (h.backfill.state === "done") break;
    if (h.backfill.state === "failed") throw new Error("findings: backfill failed");
    if (performance.now() - t0 > 600_000) throw new Error("findings: backfill did not finish in 10 minutes");
    await sleep(250);
  }
  log(`findings: agent holds ${held} tasks after ${fmtMs(performance.now() - t0)}`);
  await sleep(3000);
  return { agent, worker, tasksHeld: held, notes };
}
