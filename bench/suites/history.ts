/**
 * The durable task history (issue 16, step 1: SQLite):
 *   - ingest: task updates per second through the store into SQLite while the list is read
 *     (history-work.ts ingest, one process pinned to one core);
 *   - disk: bytes per task of that file, and of the large one below;
 *   - pages: a large history built straight through the writer (history-work.ts build), then the
 *     agent started on it with nothing in memory: first page, by state, by name, next page, each
 *     the median of repeated requests over HTTP; the agent's RSS after them.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { historyFileName } from "../../agent/sources/history/location";
import { HistoryDb } from "../../agent/sources/history/database";
import { HistoryTaskSource } from "../../agent/sources/history/history-source";
import type { TaskFilter } from "../../agent/sources/tasks/query";
import { REPO_ROOT, RedisServer, type AgentProcess } from "../../test/harness/deployment";
import { startBenchAgent } from "../lib/agent";
import { log, memoryOf, run, timedGet } from "../lib/proc";
import { fmt } from "../lib/report";
import { round, summarize } from "../lib/stats";
import { timeQueries } from "../lib/rounds";
import type { BenchContext } from "../run";

interface IngestOut {
  tasks: number;
  updates: number;
  rows: number;
  totalMs: number;
  cpuMs: number;
  updatesPerSecond: number;
  updatesPerCpuSecond: number;
  flushes: number;
  bytesPerTask: number;
  pageP50: number | null;
  pages: number;
  rssMb: number;
}

interface BuildOut {
  rows: number;
  ms: number;
  bytes: number;
  rowsPerSecond: number;
}

const WORK = join(REPO_ROOT, "bench/suites/history-work.ts");

async function work<T>(ctx: BenchContext, args: string[], timeoutMs: number): Promise<T> {
  const cpu = String(Math.max(0, (ctx.cores ?? 2) - 1));
  const node = [process.execPath, "--import", "tsx", WORK, ...args];
  const pinned = existsSync("/usr/bin/taskset");
  const { stdout } = await run(pinned ? "/usr/bin/taskset" : node[0]!, pinned ? ["-c", cpu, ...node] : node.slice(1), { cwd: REPO_ROOT, timeoutMs });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

export async function historySuite(ctx: BenchContext): Promise<void> {
  const dir = join(ctx.tmpDir, "history");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  // --- ingest while serving
  const tasks = ctx.quick ? 30_000 : 100_000;
  const ing = await work<IngestOut>(ctx, ["ingest", dir, String(tasks)], 1_800_000);
  log(
    `history: ingest ${Math.round(ing.updatesPerSecond)} updates/s (${Math.round(ing.updatesPerCpuSecond)} per CPU second), ${round(ing.bytesPerTask, 0)} B/task`,
  );
  ctx.figures.push({
    id: "history.ingest.updates_per_second",
    row: "sustained ingest into SQLite while serving",
    // Per CPU second: on a shared machine the process may get a fraction of its core, which the
    // wall-clock rate (in the note) then reports instead of what the code does.
    what: "task events (received, started, succeeded) applied to the task store as fast as one core goes, the history writer committing the changed tasks every 300 ms in transactions of 2,000, and the first page of the chained list (live + history) read every 100 ms; updates per second of the process's CPU time (user + system, SQLite's included), from the first event to the last row committed",
    value: ing.updatesPerCpuSecond,
    unit: "updates/s",
    target: { op: ">=", limit: 20_000, text: ">= 20k task updates/s" },
    note: `${ing.updates.toLocaleString("en-US")} updates of ${ing.tasks.toLocaleString("en-US")} tasks in ${fmt(ing.totalMs, "ms")} wall, ${fmt(ing.cpuMs, "ms")} CPU: ${Math.round(ing.updatesPerSecond).toLocaleString("en-US")} updates per wall-clock second (the machine's share of the core during the run); ${ing.rows.toLocaleString("en-US")} rows in ${ing.flushes} flushes; the list's first page read ${ing.pages} times meanwhile (p50 ${fmt(ing.pageP50 ?? NaN, "ms")}); process RSS ${round(ing.rssMb, 0)} MB`,
    limits: "each changed task is encoded and upserted with five indexes to keep; the store's own merge and the garbage collector share the core",
  });

  // --- a large history, then the agent on it
  const rows = Number(process.env.BENCH_HISTORY_ROWS ?? (ctx.quick ? 200_000 : 10_000_000));
  const redis = await RedisServer.start();
  let agent: AgentProcess | null = null;
  try {
    const broker = redis.url(0);
    const file = join(dir, historyFileName(broker));
    const built = await work<BuildOut>(ctx, ["build", file, String(rows)], 7_200_000);
    log(
      `history: built ${built.rows} rows in ${fmt(built.ms, "ms")} (${Math.round(built.rowsPerSecond)} rows/s), ${round(built.bytes / built.rows, 0)} B/task`,
    );
    const diskSamples = [ing.bytesPerTask, built.bytes / built.rows];
    ctx.figures.push({
      id: "history.disk.bytes_per_task",
      row: "disk per task (SQLite)",
      what: "the history file (WAL checkpointed) divided by its tasks: the ingest's tasks (short args, results and a three-step timeline) and the large history's (5 % failures with a traceback)",
      value: Math.max(...diskSamples),
      unit: "B",
      target: { op: "<=", limit: 400, text: "<= 400 bytes per task without large payloads" },
      note: `ingest file ${round(ing.bytesPerTask, 0)} B/task; large file ${round(built.bytes / built.rows, 0)} B/task (${round(built.bytes / 2 ** 20, 0)} MB for ${built.rows.toLocaleString("en-US")} tasks, built in ${fmt(built.ms, "ms")}, ${Math.round(built.rowsPerSecond).toLocaleString("en-US")} rows/s through HistoryDb.write with the list's indexes built at the end). A mean over the file, not a median per row`,
    });

    const inProcess = await sourcePages(file, built.rows, ctx.quick ? 10 : 30);
    agent = await startBenchAgent(["--broker", broker, "--data-dir", dir, "--name", "bench-history"]);
    await sleep(1000);
    const first = await timedGet<{ next_cursor: string; total: number }>(`${agent.url}/api/v1/tasks?limit=50`);
    const queries = [
      { id: "first", path: "tasks?limit=50" },
      { id: "state", path: "tasks?limit=50&state=FAILURE" },
      { id: "name", path: "tasks?limit=50&name=shop.tasks.job_3" },
      { id: "next", path: `tasks?limit=50&cursor=${first.body.next_cursor}` },
      { id: "search", path: `tasks?limit=50&q=${encodeURIComponent(searchText(built.rows))}` },
    ];
    const { samples, totals } = await timeQueries(agent.url, queries, ctx.quick ? 10 : 30);
    const rssMb = memoryOf(agent.child.pid!).rssMb;
    for (const q of queries) {
      const s = summarize(samples.get(q.id)!);
      ctx.figures.push({
        id: `history.pages.${q.id}.p50`,
        row: `${built.rows.toLocaleString("en-US")} tasks in SQLite: ${PAGE_NAMES[q.id] ?? `filter by ${q.id}`}`,
        what: `GET /api/v1/${q.path.replace(/cursor=.*/, "cursor=<the first page's>")} on an agent holding nothing in memory: every row from the history (total ${totals.get(q.id)?.toLocaleString("en-US")})`,
        value: s.p50,
        unit: "ms",
        target: q.id === "search" ? { op: "<=", limit: 500, text: "p50 <= 500 ms (10M tasks)" } : { op: "<=", limit: 20, text: "p50 <= 20 ms (10M tasks)" },
        summary: s,
        note: `the same page read in this process through HistoryTaskSource.list (no HTTP, no agent): p50 ${fmt(inProcess.get(q.id) ?? NaN, "ms")}${built.rows < 10_000_000 ? `; built ${built.rows.toLocaleString("en-US")} tasks, not 10M (BENCH_HISTORY_ROWS)` : ""}`,
      });
    }
    ctx.figures.push({
      id: "history.agent.rss",
      row: `agent RSS with ${built.rows.toLocaleString("en-US")} tasks in history`,
      what: "the bundled agent's resident memory after the page queries above (nothing held in memory, the history on disk)",
      value: rssMb,
      unit: "MB",
      target: { op: "<=", limit: 300, text: "<= 300 MB with 10M tasks in history" },
    });
    log(`history: pages p50 ${queries.map((q) => `${q.id} ${round(summarize(samples.get(q.id)!).p50, 1)} ms`).join(", ")}; RSS ${round(rssMb, 0)} MB`);
  } finally {
    await agent?.stop();
    await redis.destroy();
  }
}

const PAGE_NAMES: Record<string, string> = {
  first: "first page",
  next: "next page",
  search: "substring search (one task's argument; payload trigrams, FTS5)",
};

/** A text one task of the built history holds (its order id, in its kwargs). */
const searchText = (rows: number) => `'order_id': ${Math.floor(rows / 2) + 7}}`;

/** The pages above read straight from the file (the source, without the agent and HTTP): p50 per query. */
async function sourcePages(file: string, rows: number, rounds: number): Promise<Map<string, number>> {
  const db = new HistoryDb(file);
  try {
    const source = new HistoryTaskSource(db);
    const sort = { by: "received", order: "desc" } as const;
    const list = (filter: TaskFilter, cursor: string | null = null) => source.list({ filter, sort, limit: 50, cursor, searchPayloads: true });
    const next = (await list({})).nextCursor;
    const queries: [string, () => Promise<unknown>][] = [
      ["first", () => list({})],
      ["state", () => list({ states: ["FAILURE"] })],
      ["name", () => list({ name: "shop.tasks.job_3" })],
      ["next", () => list({}, next)],
      ["search", () => list({ q: searchText(rows) })],
    ];
    const out = new Map<string, number>();
    for (const [id, read] of queries) {
      const ms: number[] = [];
      for (let i = 0; i <= rounds; i++) {
        const t0 = performance.now();
        await read();
        if (i > 0) ms.push(performance.now() - t0);
      }
      out.set(id, summarize(ms).p50);
    }
    return out;
  } finally {
    db.close();
  }
}
