/**
 * The metrics section (issue 15): memory of the figures for 1,000 task names x 24 h of minute
 * buckets, task-event ingest with the figures on vs off (ratio in the same process), a percentile
 * query over 24 h, and /metrics with 1,000 names and 1,000 queues. Measured by
 * suites/metrics-measure.ts in a separate Node process (--expose-gc) pinned to one core.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/harness/deployment";
import { log, run } from "../lib/proc";
import { round, summarize } from "../lib/stats";
import type { BenchContext } from "../run";

interface MeasureOutput {
  mem: { mb: number[]; typedMb: number };
  on: number[];
  off: number[];
  oneName: number[];
  allNames: number[];
  scrape: number[];
  scrapeBytes: number;
  perMinute: number;
}

export async function metricsSuite(ctx: BenchContext): Promise<void> {
  const cpu = String(Math.max(0, (ctx.cores ?? 2) - 1));
  const args = ["--expose-gc", "--import", "tsx", join(REPO_ROOT, "bench/suites/metrics-measure.ts"), ctx.quick ? "1" : "0"];
  const pinned = existsSync("/usr/bin/taskset");
  const { stdout } = await run(pinned ? "/usr/bin/taskset" : process.execPath, pinned ? ["-c", cpu, process.execPath, ...args] : args, {
    cwd: REPO_ROOT,
    timeoutMs: 1_800_000,
  });
  writeFileSync(join(ctx.tmpDir, "metrics-measure.json"), stdout);
  const out = JSON.parse(stdout) as MeasureOutput;
  const where = pinned ? `one Node process pinned to CPU ${cpu} (taskset)` : "one Node process, not pinned";
  const mem = summarize(out.mem.mb);
  ctx.figures.push({
    id: "metrics.memory_mb",
    row: "metrics: memory of the figures",
    what: `MetricsStore filled for 1,000 task names x 1,440 minutes (${out.perMinute} tasks a minute per name: sent, received, started, succeeded 90 % / failed, 1 % retried, a runtime and a wait each, log-normal around a median per name from 10 ms to 100 s), 4 queues; heap + array buffers after minus before, after two full GCs; ${where}`,
    value: mem.p50,
    unit: "MB",
    target: { op: "<=", limit: 50, text: "<= 50 MB" },
    summary: mem,
    note: `typed arrays alone ${round(out.mem.typedMb, 1)} MB (counts 1 byte a minute per state seen while under 256; histograms per minute for 1 h at 2 %, per 10 min for 6 h and per hour for 24 h at 4 %)`,
  });
  const on = summarize(out.on);
  const off = summarize(out.off);
  ctx.figures.push({
    id: "metrics.ingest_events_per_second",
    row: "metrics: event ingest with the figures on",
    what: `synthetic task events (sent, received, started, succeeded; 200 names) through TaskStore.applyEvent with the metrics observer on, runs alternating with it off, each into a fresh store (--max-tasks 100000); ${where}. Not included: decoding the broker's messages (see the ingest section)`,
    value: on.p50,
    unit: "events/s",
    target: { op: ">=", limit: 100_000, text: ">= 100k events/s" },
    summary: on,
    baseline: { what: "the same runs with the figures off", value: off.p50, unit: "events/s", summary: off },
    ratio: { value: round(on.p50 / off.p50, 2), target: null, text: "events/s with the figures on / off" },
  });
  const one = summarize(out.oneName);
  ctx.figures.push({
    id: "metrics.query_24h_ms",
    row: "metrics: percentile query over 24 h",
    what: `metrics/tasks?name=<one of the 1,000 names>&window=24h (the handler's function on the filled store: counts, p50/p95/p99 runtime and wait, 96 points of 15 min, the runtime histogram); ${where}`,
    value: one.p50,
    unit: "ms",
    target: { op: "<=", limit: 10, text: "<= 10 ms" },
    summary: one,
    note: `every name at once (metrics/tasks?window=24h: 1,000 names' totals and the merged series): p50 ${round(summarize(out.allNames).p50, 0)} ms`,
  });
  const scrape = summarize(out.scrape);
  ctx.figures.push({
    id: "metrics.prometheus_ms",
    row: "metrics: /metrics with 1,000 names and 1,000 queues",
    what: `the /metrics text (handlers/prometheus.ts) for the filled store plus 1,000 queues of 4 priorities each, ${round(out.scrapeBytes / 2 ** 20, 1)} MB; ${where}`,
    value: scrape.p50,
    unit: "ms",
    target: { op: "<=", limit: 100, text: "<= 100 ms" },
    summary: scrape,
  });
  log(
    `metrics: ${round(mem.p50, 1)} MB, ${Math.round(on.p50)} vs ${Math.round(off.p50)} events/s, query ${round(one.p50, 2)} ms, /metrics ${round(scrape.p50, 1)} ms`,
  );
}
