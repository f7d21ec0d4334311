/**
 * One million tasks: a private redis-server filled with 1M realistic `celery-task-meta-*` records,
 * the agent started against it with --max-tasks 1000000, then
 *   - backfill: agent start to `health.backfill.state == done`, with requests served meanwhile;
 *   - memory: the agent's RSS with the 1M tasks held (after the queries too, search caches included);
 *   - queries: first page, by state, by name, search `q`, each a median over repeated requests.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CeleryWorker, RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { generateMetas } from "../lib/generate";
import { log, memoryOf, timedGet } from "../lib/proc";
import { fmt, type Figure } from "../lib/report";
import { fmtMs, round, summarize } from "../lib/stats";
import { startBenchAgent } from "../lib/agent";
import { timeQueries } from "../lib/rounds";
import type { BenchContext } from "../run";

interface Health {
  tasks_held: number;
  backfill: { state: string; scanned: number; loaded: number };
}

interface TaskList {
  tasks: { id: string }[];
  total: number;
  next_cursor: string | null;
}

export async function tasksSuite(ctx: BenchContext, metasPath: string): Promise<void> {
  if (!existsSync(metasPath)) throw new Error(`no recorded result-backend records at ${metasPath}: run the live section first`);
  const count = ctx.quick ? 200_000 : 1_000_000;
  const redis = await RedisServer.start();
  let agent: AgentProcess | null = null;
  try {
    const now = Date.now();
    const gen = await generateMetas({ port: redis.port, db: 1, count, templates: JSON.parse(readFileSync(metasPath, "utf8")) as string[], now });
    log(`tasks: generated ${count} records (${round(gen.bytes / 2 ** 20, 0)} MB of commands) in ${fmtMs(gen.ms)}`);

    // What an agent holds with nothing to hold (a broker database without workers), both ways.
    const idle: Record<string, number> = {};
    for (const kind of ["bundle", "tsx"] as const) {
      const a = await startBenchAgent(["--broker", redis.url(3), "--name", "idle"], kind);
      await sleep(2000);
      idle[kind] = memoryOf(a.child.pid!).rssMb;
      await a.stop();
    }

    // One idle worker, so remote-control reads (overview) return early as in a real deployment.
    const worker = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "idle@bench", pool: "solo", queues: ["celery"] });

    // --- backfill, with requests served meanwhile
    const t0 = performance.now();
    const agentArgs = ["--broker", redis.url(0), "--result-backend", redis.url(1), "--max-tasks", String(count), "--name", "bench-1m"];
    agent = await startBenchAgent(agentArgs);
    const listening = performance.now() - t0;
    const during: number[] = [];
    const duringByPath: Record<string, number[]> = {};
    let done = false;
    let last: Health | null = null;
    const poller = (async () => {
      let i = 0;
      while (!done) {
        const path = ["health", "tasks?limit=50", "overview", "tasks?state=FAILURE"][i++ % 4]!;
        const r = await timedGet<Health>(`${agent!.url}/api/v1/${path}`).catch(() => null);
        if (r && r.status === 200) {
          during.push(r.ms);
          duringByPath[path] ??= [];
          duringByPath[path].push(r.ms);
        }
        await sleep(100);
      }
    })();
    for (;;) {
      const h = await timedGet<Health>(`${agent.url}/api/v1/health`);
      last = h.body;
      if (h.body.backfill.state === "done" || h.body.backfill.state === "failed") break;
      if (performance.now() - t0 > 600_000) throw new Error("backfill did not finish in 10 minutes");
      await sleep(100);
    }
    const backfillMs = performance.now() - t0;
    done = true;
    await poller;
    if (last.backfill.state !== "done") throw new Error(`backfill ${last.backfill.state}`);
    await sleep(3000);
    const afterBackfill = memoryOf(agent.child.pid!);
    const held = (await timedGet<Health>(`${agent.url}/api/v1/health`)).body.tasks_held;
    const d = summarize(during);
    ctx.figures.push({
      id: "backfill.seconds",
      limits: "SCAN + MGET of 1M keys (pipelined) and parsing each record; Redis and the agent share the two cores",
      row: "backfill",
      what: `${count.toLocaleString("en-US")} \`celery-task-meta-*\` keys: agent process start to \`health.backfill.state == "done"\``,
      value: backfillMs / 1000,
      unit: "s",
      target: { op: "<=", limit: 30, text: "<= 30 s, requests served meanwhile" },
      note: `${held.toLocaleString("en-US")} tasks held (${last.backfill.loaded.toLocaleString("en-US")} loaded of ${last.backfill.scanned.toLocaleString("en-US")} keys); the agent was listening ${fmtMs(listening)} after its start. Served meanwhile: ${during.length} requests (health, tasks, overview, tasks?state=FAILURE in turn, every 100 ms), p50 ${fmtMs(d.p50)}, p90 ${fmtMs(d.p90)}, max ${fmtMs(d.max)}, none failed to answer. One backfill run per benchmark run (it takes the whole data set).`,
    });
    log(`tasks: backfill ${fmtMs(backfillMs)}; requests meanwhile p50 ${fmtMs(d.p50)} max ${fmtMs(d.max)}`);

    // --- queries
    const first = (await timedGet<TaskList>(`${agent.url}/api/v1/tasks?limit=50`)).body;
    const someId = first.tasks[7]?.id ?? "";
    const queries: { id: string; row: string; what: string; path: string; limit: number | null }[] = [
      { id: "tasks.first_page", row: "task queries at 1M", what: "first page: `tasks` (50 newest of all)", path: "tasks", limit: 20 },
      {
        id: "tasks.page2",
        row: "task queries at 1M",
        what: "next page: `tasks?cursor=` (from the first page)",
        path: `tasks?cursor=${first.next_cursor ?? ""}`,
        limit: 20,
      },
      { id: "tasks.state", row: "task queries at 1M", what: "filter by state: `state=FAILURE`", path: "tasks?state=FAILURE", limit: 20 },
      { id: "tasks.state_multi", row: "task queries at 1M", what: "filter by state: `state=SUCCESS,STARTED`", path: "tasks?state=SUCCESS,STARTED", limit: 20 },
      { id: "tasks.name", row: "task queries at 1M", what: "filter by name: `name=panel_fixture.report`", path: "tasks?name=panel_fixture.report", limit: 20 },
      {
        id: "tasks.name_rare",
        row: "task queries at 1M",
        what: "filter by name (rare): `name=panel_fixture.sleep_for`",
        path: "tasks?name=panel_fixture.sleep_for",
        limit: 20,
      },
      { id: "tasks.q", row: "task queries at 1M", what: "search: `q=user-4242` (an argument)", path: "tasks?q=user-4242", limit: 150 },
      { id: "tasks.q_common", row: "task queries at 1M", what: "search: `q=Declined` (an exception message)", path: "tasks?q=Declined", limit: 150 },
      { id: "tasks.q_id", row: "task queries at 1M", what: "search: `q=<8 characters of an id>`", path: `tasks?q=${someId.slice(9, 17)}`, limit: 150 },
      {
        id: "tasks.combined",
        row: "task queries at 1M",
        what: "combined: `state=SUCCESS&name=panel_fixture.add&worker=w3@bench`",
        path: "tasks?state=SUCCESS&name=panel_fixture.add&worker=w3%40bench",
        limit: null,
      },
      { id: "tasks.sort_runtime", row: "task queries at 1M", what: "`sort=finished` (no target: a column scan)", path: "tasks?sort=finished", limit: null },
      { id: "overview.1m", row: "task queries at 1M", what: "`overview` (last hour / last day counts, latest tasks)", path: "overview", limit: null },
    ];
    // The first search after the backfill is reported apart from the medians (nothing is cached for it).
    const firstSearch = await timedGet<TaskList>(`${agent.url}/api/v1/tasks?q=user-4242`);
    const rounds = ctx.quick ? 5 : 15;
    const { samples, totals } = await timeQueries(agent.url, queries, rounds);
    for (const q of queries) {
      const s = summarize(samples.get(q.id)!);
      const f: Figure = {
        id: q.id,
        row: q.row,
        what: q.what,
        value: s.p50,
        unit: "ms",
        target: q.limit === null ? null : { op: "<=", limit: q.limit, text: `p50 <= ${q.limit} ms` },
        summary: s,
        note: q.id === "overview.1m" ? undefined : `total ${totals.get(q.id)?.toLocaleString("en-US")}`,
        limits:
          q.limit === 150
            ? "a search reads every task's text (one regular-expression sweep per chunk of 256 tasks)"
            : "the page is found through the received-time index; the total comes from per-state or per-name counts",
      };
      if (q.id === "tasks.q") f.note += `; the very first search after the backfill took ${fmtMs(firstSearch.ms)}`;
      ctx.figures.push(f);
    }
    log(`tasks: ${queries.map((q) => `${q.id} ${fmtMs(summarize(samples.get(q.id)!).p50)}`).join(", ")}`);

    // --- memory, after the queries (their caches included)
    await sleep(2000);
    const afterQueries = memoryOf(agent.child.pid!);
    await agent.stop();
    agent = null;
    // The same under tsx, as the tests start it (the TypeScript loader's own memory included).
    const viaTsx = await startBenchAgent(agentArgs, "tsx");
    agent = viaTsx;
    while ((await timedGet<Health>(`${viaTsx.url}/api/v1/health`)).body.backfill.state !== "done") await sleep(250);
    for (const q of queries.slice(0, 9)) await timedGet(`${viaTsx.url}/api/v1/${q.path}`);
    await sleep(2000);
    const tsxMemory = memoryOf(viaTsx.child.pid!);
    ctx.figures.push({
      id: "memory.rss_mb",
      limits: "per task: its id string, ~100 bytes of columns, its packed text; plus V8's garbage not yet collected (RSS varies by tens of MB between runs)",
      row: "task store memory",
      what: `agent RSS with ${held.toLocaleString("en-US")} tasks held, after the backfill and the queries (the agent as shipped: the bundle \`celery-panel-agent\` runs)`,
      value: Math.max(afterQueries.rssMb, afterBackfill.rssMb),
      unit: "MB",
      target: { op: "<=", limit: 600, text: "<= 600 MB" },
      note: `RSS ${fmt(afterBackfill.rssMb, "MB")} 3 s after the backfill, ${fmt(afterQueries.rssMb, "MB")} after the queries; peak (VmHWM) ${fmt(afterQueries.peakMb, "MB")}. The same code run through tsx (\`node --import tsx agent/cli.ts\`, as the tests start it): ${fmt(tsxMemory.rssMb, "MB")} after its backfill and the searches, peak ${fmt(tsxMemory.peakMb, "MB")}; tsx's TypeScript loader runs in the same process (an agent holding nothing: ${fmt(idle.bundle!, "MB")} bundled, ${fmt(idle.tsx!, "MB")} under tsx).`,
    });
    const mix = Object.entries(gen.byState)
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${s} ${round((n / count) * 100, 1)} %`)
      .join(", ");
    const names = Object.entries(gen.byName)
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${s.replace("panel_fixture.", "")} ${round((n / count) * 100, 1)} %`)
      .join(", ");
    ctx.sections.push({
      title: "Task data set",
      body: `${count.toLocaleString("en-US")} records written with pipelined \`SET ... EX 86400\` (\`redis-cli --pipe\`) in ${fmtMs(gen.ms)}, ${round(gen.bytes / 2 ** 20, 0)} MB of commands, from the real result-backend records of the live section (result_extended: name, args, kwargs, worker, retries, queue), each with a new id, a \`date_done\` within the last 24 h, its own arguments and result, and one of 8 workers. States: ${mix}. Names: ${names}.`,
    });
    await worker.stop();
  } finally {
    await agent?.stop().catch(() => undefined);
    await stopAll();
    await redis.destroy().catch(() => undefined);
  }
}
