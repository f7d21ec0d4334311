/**
 * The RabbitMQ section (issue 12): a private RabbitMQ node with its management API, four real Celery
 * workers on it (results in a private redis-server), and the agent on `amqp://` with `--broker-api`.
 *   - `workers` and `workers/:name` against `celery inspect stats` on the same broker, same run;
 *   - offline after SIGKILL;
 *   - event ingest through AMQP end to end: a separate process publishes task events as workers batch
 *     them, and the figure is events over the time until the agent holds every task;
 *   - `queues` with 1,000 queues declared on the vhost (listed by the management API);
 *   - reconnect: the node stopped and started again, timed from its return to the agent connected.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import { CeleryWorker, REPO_ROOT, RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { RabbitMQNode } from "../../test/harness/rabbitmq";
import { startBenchAgent } from "../lib/agent";
import { cpuMsOf, log, run, timedGet } from "../lib/proc";
import { fmtMs, round, summarize } from "../lib/stats";
import type { BenchContext } from "../run";
import { offlineDetection } from "./live/offline-detection";
import { type BrokerUnderBench, workerLatency } from "./live/worker-latency";
import { WORKERS, waitForWorkers } from "./live/workers";

const RABBITMQ: BrokerUnderBench = { name: "RabbitMQ", idPrefix: "rabbitmq.", workersP50Ms: 20, timesFasterThanCli: 50 };
const QUEUES = 1000;

export async function rabbitmqSuite(ctx: BenchContext): Promise<void> {
  const node = await RabbitMQNode.start();
  const redis = await RedisServer.start();
  const broker = node.url();
  const backend = redis.url(1);
  let agent: AgentProcess | null = null;
  try {
    log(`rabbitmq: node on ${node.port} (management ${node.managementPort}), starting ${WORKERS.length} workers`);
    await Promise.all(WORKERS.map((name) => CeleryWorker.start({ broker, backend, name, pool: "prefork", concurrency: 1, queues: ["celery", "media"] })));
    // Room for every task the ingest runs publish: eviction would stop `tasks_held` from counting them.
    const maxTasks = ingestRuns(ctx) * ingestTasks(ctx) + 50_000;
    // The ingest without the durable history first, by an agent of its own stopped before the main
    // one starts: two agents on the broker would both take in every event.
    const bare = await startBenchAgent([
      "--broker",
      broker,
      "--result-backend",
      backend,
      "--name",
      "bench-no-history",
      "--max-tasks",
      String(maxTasks),
      "--no-history",
    ]);
    try {
      await ingestThroughAmqp(ctx, bare, broker, ingestTasks(ctx), HISTORY_OFF);
    } finally {
      await bare.stop();
    }
    agent = await startBenchAgent([
      "--broker",
      broker,
      "--broker-api",
      node.managementUrl(),
      "--result-backend",
      backend,
      "--name",
      "bench-rabbitmq",
      "--max-tasks",
      String(maxTasks),
    ]);
    await waitForWorkers(agent, WORKERS);
    await workerLatency(ctx, agent, broker, backend, RABBITMQ);
    await offlineDetection(ctx, agent, broker, backend, RABBITMQ);
    await ingestThroughAmqp(ctx, agent, broker, ingestTasks(ctx), HISTORY_ON);
    await queuesAtScale(ctx, agent, broker);
    await reconnect(ctx, agent, node);
  } finally {
    await agent?.stop().catch(() => undefined);
    await stopAll();
    await redis.destroy().catch(() => undefined);
    await node.destroy().catch(() => undefined);
  }
}

interface HealthBody {
  tasks_held: number;
  broker: { state: string };
}

const ingestRuns = (ctx: BenchContext) => (ctx.quick ? 2 : 5);
const ingestTasks = (ctx: BenchContext) => (ctx.quick ? 20_000 : 60_000);

/** The agent as it runs by default (its durable history on), and with --no-history. */
interface IngestVariant {
  id: string;
  row: string;
  note: string;
}
const HISTORY_ON: IngestVariant = {
  id: "",
  row: "",
  note: "The agent as it runs by default: its durable history (SQLite) writes the tasks on the agent's own thread meanwhile.",
};
const HISTORY_OFF: IngestVariant = {
  id: ".no_history",
  row: ", durable history off",
  note: "The agent with --no-history: from the socket to the in-memory task store only.",
};

async function ingestThroughAmqp(ctx: BenchContext, agent: AgentProcess, broker: string, tasks: number, variant: IngestVariant): Promise<void> {
  const runs = ingestRuns(ctx);
  const rates: number[] = [];
  const perCpu: number[] = [];
  const publishRates: number[] = [];
  const pid = agent.child.pid!;
  for (let r = 0; r < runs; r++) {
    const held0 = (await timedGet<HealthBody>(`${agent.url}/api/v1/health`)).body.tasks_held;
    const cpu0 = cpuMsOf(pid);
    const t0 = performance.now();
    const publishing = run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO_ROOT, "bench/suites/rabbitmq/publish-events.ts"),
        broker,
        String(tasks),
        `${variant.id ? "n" : "b"}${r}`.padEnd(8, "0"),
        WORKERS[0]!,
      ],
      {
        cwd: REPO_ROOT,
        timeoutMs: 300_000,
      },
    );
    let doneAt: number | null = null;
    while (doneAt === null && performance.now() - t0 < 300_000) {
      const h = await timedGet<HealthBody>(`${agent.url}/api/v1/health`);
      if (h.body.tasks_held - held0 >= tasks) doneAt = performance.now();
      else await sleep(20);
    }
    const published = JSON.parse((await publishing).stdout) as { messages: number; events: number; ms: number };
    if (doneAt === null) throw new Error(`the agent did not hold the ${tasks} published tasks within 300 s`);
    rates.push(published.events / ((doneAt - t0) / 1000));
    // What one core of the agent does: the same events over the CPU time the agent spent on them
    // (its health polls included), whatever the publisher and the broker took of the two cores.
    perCpu.push(published.events / ((cpuMsOf(pid) - cpu0) / 1000));
    publishRates.push(published.events / (published.ms / 1000));
  }
  const s = summarize(rates);
  const c = summarize(perCpu);
  const p = summarize(publishRates);
  ctx.figures.push({
    id: `rabbitmq.ingest${variant.id}.events_per_second`,
    limits: `the publisher (another Node process on the same two cores) and the RabbitMQ node share the machine with the agent${variant.id ? "" : "; the durable history's SQLite writes (rows and search index) run on the agent's thread"}`,
    row: `event ingest through AMQP${variant.row}`,
    what: `${(tasks * 3).toLocaleString("en-US")} task events (received, started, succeeded for ${tasks.toLocaleString("en-US")} tasks) published to \`celeryev\` as \`task.multi\` batches of 30; from the first publish to the agent holding every task (its health's \`tasks_held\`, polled every 20 ms)`,
    value: s.p50,
    unit: "events/s",
    target: { op: ">=", limit: 50_000, text: ">= 50k events/s" },
    summary: s,
    note: `${variant.note} ${runs} runs. The publisher alone wrote ${round(p.p50 / 1000, 0)}k events/s (median): the figure cannot exceed what reaches the socket. The publisher, the RabbitMQ node and the agent share the two cores; per second of the agent's own CPU time it took in ${round(c.p50 / 1000, 0)}k events (the next row).`,
  });
  ctx.figures.push({
    id: `rabbitmq.ingest${variant.id}.events_per_cpu_second`,
    limits: `amqplib's frame parsing, JSON parsing of each batch, and every task merged, indexed and packed in the store${variant.id ? "" : ", then written to the durable history"}`,
    row: `event ingest through AMQP${variant.row}, per core`,
    what: "the same runs: events over the agent process's CPU time (user + system, from /proc) between the first publish and the agent holding every task",
    value: c.p50,
    unit: "events/s",
    target: { op: ">=", limit: 50_000, text: ">= 50k events/s" },
    summary: c,
    note: `the wall-clock row above is what this machine gave with the publisher and the broker on the same two cores; this one is what one core of the agent does.`,
  });
  log(
    `rabbitmq: ingest${variant.row} ${rates.map((x) => Math.round(x)).join(", ")} events/s, ${perCpu.map((x) => Math.round(x)).join(", ")} per agent CPU second (publisher ${publishRates.map((x) => Math.round(x)).join(", ")})`,
  );
}

async function queuesAtScale(ctx: BenchContext, agent: AgentProcess, broker: string): Promise<void> {
  // The bench plays the application here: it declares queues on its own private node.
  const connection = await amqp.connect(broker);
  const channel = await connection.createChannel();
  for (let i = 0; i < QUEUES; i++) {
    const name = `bench-q-${String(i).padStart(4, "0")}`;
    await channel.assertQueue(name, { durable: true, arguments: i % 10 === 0 ? { "x-max-priority": 10 } : {} });
    if (i % 4 === 0) channel.sendToQueue(name, Buffer.from("{}"), { contentType: "application/json" });
  }
  await channel.close();
  await connection.close();
  // The management API counts a new queue a few seconds after it appears: wait until the agent lists them all.
  const until = Date.now() + 60_000;
  for (;;) {
    const { body } = await timedGet<{ queues: { name: string }[] }>(`${agent.url}/api/v1/queues`);
    if (body.queues.filter((q) => q.name.startsWith("bench-q-")).length >= QUEUES) break;
    if (Date.now() > until) throw new Error(`the agent did not list the ${QUEUES} queues within 60 s`);
    await sleep(1000);
  }
  // The ingest before left the agent packing and indexing its tasks for a while: sample once it is idle.
  await untilIdle(agent.child.pid!);
  const samples: number[] = [];
  for (let i = 0; i < (ctx.quick ? 5 : 15); i++) {
    await sleep(1100); // past the agent's brief cache of the API's answer: each sample asks the API again
    const r = await timedGet<{ queues: unknown[] }>(`${agent.url}/api/v1/queues`);
    if (r.status !== 200) throw new Error(`queues: ${r.status}`);
    samples.push(r.ms);
  }
  const s = summarize(samples);
  ctx.figures.push({
    id: "rabbitmq.queues.p50",
    limits: "one management API request for the vhost's queues (JSON of every queue) and the merge with what the workers say",
    row: "queues at scale (RabbitMQ)",
    what: `\`GET /api/v1/queues\` with ${QUEUES.toLocaleString("en-US")} queues on the vhost (a tenth with \`x-max-priority\`, a quarter holding a message) plus the workers' own, listed by the management API`,
    value: s.p50,
    unit: "ms",
    target: { op: "<=", limit: 300, text: "<= 300 ms" },
    summary: s,
    note: `samples ${samples.map((x) => fmtMs(x)).join(", ")}`,
  });
  log(`rabbitmq: queues p50 ${fmtMs(s.p50)}`);
}

async function reconnect(ctx: BenchContext, agent: AgentProcess, node: RabbitMQNode): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
    await node.stop();
    await sleep(2000);
    await node.run(); // resolves once the node answers on AMQP's management side
    const t0 = performance.now();
    let at: number | null = null;
    while (at === null && performance.now() - t0 < 60_000) {
      const h = await timedGet<HealthBody>(`${agent.url}/api/v1/health`).catch(() => null);
      if (h?.body.broker.state === "connected") at = performance.now();
      else await sleep(50);
    }
    times.push((at ?? Number.NaN) - t0);
    await sleep(3000);
  }
  const s = summarize(times);
  ctx.figures.push({
    id: "rabbitmq.reconnect",
    limits: "the agent's reconnect backoff (capped) and setting up its own queues again",
    row: "reconnect (RabbitMQ)",
    what: "the RabbitMQ node stopped, then started again on the same port; time from the node answering again to the agent's broker connection `connected`",
    value: s.p50,
    unit: "ms",
    target: { op: "<=", limit: 5000, text: "<= 5 s" },
    summary: s,
    note: `samples ${times.map((x) => fmtMs(x)).join(", ")}`,
  });
  log(`rabbitmq: reconnect ${times.map((x) => fmtMs(x)).join(", ")}`);
}

/** Waits (up to a minute) until the process uses under a tenth of a core over a second. */
async function untilIdle(pid: number): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const before = cpuMsOf(pid);
    await sleep(1000);
    if (cpuMsOf(pid) - before < 100) return;
  }
}
