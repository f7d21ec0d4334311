/**
 * Queues at scale: 10,000 queues declared on the broker (`_kombu.binding.*`), each with messages in
 * its 4 priority lists (kombu's default steps 0, 3, 6, 9), some unacked messages, and a real worker;
 * `GET /api/v1/queues` timed with the binding SCAN cached (the steady state) and with it expired.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openRedisPipe } from "../lib/redis-pipe";
import { CeleryWorker, RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { log, timedGet } from "../lib/proc";
import { fmtMs, summarize } from "../lib/stats";
import { startBenchAgent } from "../lib/agent";
import type { BenchContext } from "../run";

const SEP = "\x06\x16";

export function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

export function message(queue: string, priority: number, i: number): string {
  const body = Buffer.from(JSON.stringify([[i, i + 1], {}, { callbacks: null, errbacks: null, chain: null, chord: null }])).toString("base64");
  return JSON.stringify({
    body,
    "content-encoding": "utf-8",
    "content-type": "application/json",
    headers: {
      lang: "py",
      task: "panel_fixture.add",
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      retries: 0,
      root_id: null,
      parent_id: null,
      origin: "gen@bench",
    },
    properties: {
      correlation_id: String(i),
      reply_to: "",
      delivery_mode: 2,
      delivery_info: { exchange: queue.replace(/-\d+$/, ""), routing_key: queue },
      priority,
      body_encoding: "base64",
      delivery_tag: String(i),
    },
  });
}

export async function populate(port: number, queues: number): Promise<{ messages: number; unacked: number }> {
  const pipe = openRedisPipe(port, 0);
  let messages = 0;
  let unacked = 0;
  let n = 0;
  for (let q = 0; q < queues; q += 500) {
    const parts: string[] = [];
    for (let i = q; i < Math.min(queues, q + 500); i++) {
      const exchange = `exchange-${i % 10}`;
      const name = `queue-${String(i).padStart(5, "0")}`;
      parts.push(resp("SADD", `_kombu.binding.${exchange}`, `${name}${SEP}${SEP}${name}`));
      for (const step of [0, 3, 6, 9]) {
        const list = step ? `${name}${SEP}${step}` : name;
        const k = 1 + ((i * 7 + step) % 3);
        parts.push(resp("RPUSH", list, ...Array.from({ length: k }, () => message(name, step, n++))));
        messages += k;
      }
      if (i % 50 === 0) {
        const tag = `tag-${i}`;
        parts.push(resp("HSET", "unacked", tag, JSON.stringify([JSON.parse(message(name, 0, n++)), exchange, name])));
        parts.push(resp("ZADD", "unacked_index", String(Date.now() / 1000 - 60), tag));
        unacked++;
      }
    }
    await pipe.write(parts.join(""));
  }
  await pipe.finish();
  return { messages, unacked };
}

interface QueueList {
  queues: { name: string; messages: number | null; messages_by_priority: unknown[]; unacked: number | null }[];
}

export async function queuesSuite(ctx: BenchContext): Promise<void> {
  const count = 10_000;
  const redis = await RedisServer.start();
  let agent: AgentProcess | null = null;
  try {
    const t0 = performance.now();
    const pop = await populate(redis.port, count);
    log(`queues: ${count} queues, ${pop.messages} messages in ${fmtMs(performance.now() - t0)}`);
    await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "consumer@bench", pool: "solo", queues: ["celery"] });
    agent = await startBenchAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "bench-queues"]);
    // Warm: the worker seen, its replies cached.
    for (let i = 0; i < 3; i++) await timedGet(`${agent.url}/api/v1/queues`);
    const check = await timedGet<QueueList>(`${agent.url}/api/v1/queues`);
    const generated = check.body.queues.filter((q) => q.name.startsWith("queue-"));
    const summed = generated.reduce((s, q) => s + (q.messages ?? 0), 0);
    if (generated.length !== count || summed !== pop.messages)
      throw new Error(`queues: ${generated.length} queues, ${summed} messages; expected ${count}, ${pop.messages}`);
    const rounds = ctx.quick ? 5 : 15;
    const warm: number[] = [];
    for (let i = 0; i < rounds; i++) {
      warm.push((await timedGet(`${agent.url}/api/v1/queues`)).ms);
      await sleep(300);
    }
    const cold: number[] = [];
    for (let i = 0; i < (ctx.quick ? 2 : 5); i++) {
      await sleep(5200); // past the agent's 5 s cache of the binding SCAN
      cold.push((await timedGet(`${agent.url}/api/v1/queues`)).ms);
    }
    const overview: number[] = [];
    for (let i = 0; i < rounds; i++) overview.push((await timedGet(`${agent.url}/api/v1/overview`)).ms);
    const w = summarize(warm);
    const c = summarize(cold);
    const note = `${count.toLocaleString("en-US")} queues (10 exchanges), ${pop.messages.toLocaleString("en-US")} messages over ${(count * 4).toLocaleString("en-US")} lists, ${pop.unacked} unacked, one real worker; response ${(check.bytes / 2 ** 20).toFixed(1)} MB of JSON, every queue's depth summed over its 4 lists (checked against what was written).`;
    ctx.figures.push(
      {
        id: "queues.10k.cached_bindings",
        limits: "40,000 LLENs (one raw round trip) and a 4 MB JSON answer to build and send",
        row: "queues at scale",
        what: "`queues`, 10,000 queues x 4 priority lists, binding SCAN cached (requests within 5 s of each other)",
        value: w.p50,
        unit: "ms",
        target: { op: "<=", limit: 500, text: "<= 500 ms" },
        summary: w,
        note,
      },
      {
        id: "queues.10k.fresh_scan",
        limits: "SCAN of the whole keyspace for _kombu.binding.* (the agent caches it 5 s) on top of the cached case",
        row: "queues at scale",
        what: "`queues`, same, each request re-reading the bindings (SCAN `_kombu.binding.*` + SMEMBERS)",
        value: c.p50,
        unit: "ms",
        target: { op: "<=", limit: 500, text: "<= 500 ms" },
        summary: c,
      },
      {
        id: "queues.10k.overview",
        row: "queues at scale",
        what: "`overview` with the 10,000 queues (it lists queue depths)",
        value: summarize(overview).p50,
        unit: "ms",
        target: null,
        summary: summarize(overview),
      },
    );
    log(`queues: cached p50 ${fmtMs(w.p50)}, fresh scan p50 ${fmtMs(c.p50)}, overview p50 ${fmtMs(summarize(overview).p50)}`);
  } finally {
    await agent?.stop().catch(() => undefined);
    await stopAll();
    await redis.destroy().catch(() => undefined);
  }
}
