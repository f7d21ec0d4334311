/**
 * Worker latency (live section): `workers` and `workers/:name`, each sample a real broadcast (the
 * agent's reply cache has gone stale), interleaved with the `celery inspect stats` CLI, the issue's baseline.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FIXTURE_DIR, fixtureEnv, PYTHON, runPython, type AgentProcess } from "../../../test/harness/deployment";
import { log, run, timedGet } from "../../lib/proc";
import { fmtMs, median, round, summarize } from "../../lib/stats";
import type { BenchContext } from "../../run";
import { WORKERS, type WorkerRow } from "./workers";

/** The agent keeps stats replies 2 s (FRESH_MS.stats): wait longer, so every sample is a real broadcast. */
const STALE_AFTER_MS = 2100;

async function cli(broker: string, backend: string): Promise<number> {
  const { stdout, ms } = await run(PYTHON, ["-m", "celery", "-A", "panel_fixture", "inspect", "stats"], {
    cwd: FIXTURE_DIR,
    env: fixtureEnv(broker, backend),
    timeoutMs: 60_000,
  });
  if (!/4 nodes online/.test(stdout)) throw new Error(`celery inspect stats did not see the 4 workers:\n${stdout.slice(-500)}`);
  return ms;
}

/** Flower's way: a warm Python process (no interpreter start-up), `inspect(timeout=1).stats()`. */
const PY_INSPECT = `
import json, time
from panel_fixture import app
app.control.inspect(timeout=1.0).stats()  # warm the connection
out = []
for i in range(N):
    t = time.perf_counter()
    r = app.control.inspect(timeout=1.0).stats()
    out.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": out, "nodes": len(r or {})}))
`;

/** Which broker the figures are for: its name in the text, a prefix for the ids, and the issue's targets. */
export interface BrokerUnderBench {
  name: string;
  /** "" for Redis (the first round's ids), e.g. "rabbitmq." for the others. */
  idPrefix: string;
  workersP50Ms: number;
  timesFasterThanCli: number;
}

export const REDIS_BENCH: BrokerUnderBench = { name: "Redis", idPrefix: "", workersP50Ms: 50, timesFasterThanCli: 20 };

export async function workerLatency(
  ctx: BenchContext,
  agent: AgentProcess,
  broker: string,
  backend: string,
  under: BrokerUnderBench = REDIS_BENCH,
): Promise<void> {
  const rounds = ctx.quick ? 5 : 11;
  const list: number[] = [];
  const detail: number[] = [];
  const cliMs: number[] = [];
  const early: boolean[] = [];
  let last = 0;
  const stale = async () => {
    const wait = last + STALE_AFTER_MS - performance.now();
    if (wait > 0) await sleep(wait);
  };
  const before = await timedGet<{ remote_control: { broadcasts: number; early: number; timeouts: number } }>(`${agent.url}/api/v1/health`);
  for (let i = 0; i < rounds; i++) {
    await stale();
    const l = await timedGet<{ workers: WorkerRow[] }>(`${agent.url}/api/v1/workers`);
    last = performance.now();
    if (l.status !== 200 || l.body.workers.filter((w) => w.status === "online").length < 4) throw new Error(`workers: ${l.status}`);
    list.push(l.ms);
    cliMs.push(await cli(broker, backend)); // the CLI run is also the wait that lets the cache go stale
    await stale();
    const name = WORKERS[i % WORKERS.length]!;
    const d = await timedGet<{ notes: string[]; inspected_at: string | null }>(`${agent.url}/api/v1/workers/${encodeURIComponent(name)}`);
    last = performance.now();
    if (d.status !== 200) throw new Error(`workers/${name}: ${d.status}`);
    early.push(d.body.notes.length === 0);
    detail.push(d.ms);
  }
  const after = await timedGet<{ remote_control: { broadcasts: number; early: number; timeouts: number } }>(`${agent.url}/api/v1/health`);
  // Cache hits: what a second client asking within the freshness window gets.
  const warm: number[] = [];
  for (let i = 0; i < 30; i++) warm.push((await timedGet(`${agent.url}/api/v1/workers`)).ms);
  const py = JSON.parse((await runPython(PY_INSPECT.replace("range(N)", `range(${ctx.quick ? 3 : 5})`), broker, backend, {}, 120_000)).trim()) as {
    ms: number[];
    nodes: number;
  };

  const cliSum = summarize(cliMs);
  const listSum = summarize(list);
  const detailSum = summarize(detail);
  const bc = {
    broadcasts: after.body.remote_control.broadcasts - before.body.remote_control.broadcasts,
    early: after.body.remote_control.early - before.body.remote_control.early,
  };
  ctx.figures.push(
    {
      id: `${under.idPrefix}workers.list.p50`,
      limits: `the broadcast round trip through ${under.name} and the slowest of the four workers answering (Python, one reply at a time)`,
      row: `worker detail latency${under.idPrefix ? ` (${under.name})` : ""}`,
      what: "`GET /api/v1/workers`, 4 live workers, every sample a real `stats` + `active_queues` broadcast (cache stale)",
      value: listSum.p50,
      unit: "ms",
      target: { op: "<=", limit: under.workersP50Ms, text: `p50 <= ${under.workersP50Ms} ms` },
      summary: listSum,
      baseline: { what: "`celery inspect stats` CLI (same run, interleaved)", value: cliSum.p50, unit: "ms", summary: cliSum },
      ratio: { value: cliSum.p50 / listSum.p50, target: under.timesFasterThanCli, text: `${round(cliSum.p50 / listSum.p50, 0)}x faster than the CLI` },
    },
    {
      id: `${under.idPrefix}workers.detail.p50`,
      limits: "five or more broadcasts to one worker, which answers them one after another",
      row: `worker detail latency${under.idPrefix ? ` (${under.name})` : ""}`,
      what: "`GET /api/v1/workers/:name`, every sample real broadcasts (stats, active, reserved, scheduled, revoked; registered and active_queues when stale) to that worker",
      value: detailSum.p50,
      unit: "ms",
      target: { op: "<=", limit: under.workersP50Ms, text: `p50 <= ${under.workersP50Ms} ms` },
      summary: detailSum,
      baseline: { what: "`celery inspect stats` CLI", value: cliSum.p50, unit: "ms", summary: cliSum },
      ratio: { value: cliSum.p50 / detailSum.p50, target: under.timesFasterThanCli, text: `${round(cliSum.p50 / detailSum.p50, 0)}x faster than the CLI` },
    },
  );
  ctx.sections.push({
    title: `Worker latency on ${under.name}: details`,
    body: `
- Agent samples are spaced ${STALE_AFTER_MS} ms apart (longer than the agent keeps a \`stats\` reply), so each one paid for a
  real remote-control round trip; the early return (every expected worker answered) is what makes it fast.
  Broadcasts during the samples: ${bc.broadcasts}, of which ${bc.early} returned early. Detail pages with no "did not answer" note: ${early.filter(Boolean).length}/${early.length}.
- \`workers\` samples (ms): ${list.map((x) => round(x, 1)).join(", ")}
- \`workers/:name\` samples (ms): ${detail.map((x) => round(x, 1)).join(", ")}
- \`celery -A panel_fixture inspect stats\` samples (ms, process start to exit, default 1 s timeout): ${cliMs.map((x) => round(x, 0)).join(", ")}
- In a warm Python process (Flower's way, no interpreter start-up), \`app.control.inspect(timeout=1.0).stats()\`:
  ${py.ms.map((x) => round(x, 0)).join(", ")} ms (median ${round(median(py.ms), 0)} ms, ${py.nodes} nodes): the second is spent waiting for
  workers that may still answer. Against that, \`workers\` is ${round(median(py.ms) / listSum.p50, 0)}x faster.
- Within the freshness window a request is served from the shared replies: \`workers\` p50 ${fmtMs(median(warm))} (30 requests).
`,
  });
  log(`live: workers p50 ${fmtMs(listSum.p50)}, detail p50 ${fmtMs(detailSum.p50)}, CLI p50 ${fmtMs(cliSum.p50)}`);
}
