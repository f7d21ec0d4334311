/**
 * Event ingest: the recorded real events replayed through the agent's event path in a separate
 * Node process pinned to one core (taskset), so the figure is what one core does.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/harness/deployment";
import { log, run } from "../lib/proc";
import { fmt } from "../lib/report";
import { round, summarize } from "../lib/stats";
import type { BenchContext } from "../run";

interface ReplayOutput {
  messages: number;
  bytes: number;
  perCopy: number;
  copies: number;
  recordedMessages: number;
  rssMb: number;
  results: { events: number; ms: number; cpuMs: number; rate: number; tasks: number; rejected: number }[];
}

export async function ingestSuite(ctx: BenchContext, eventsPath: string): Promise<void> {
  if (!existsSync(eventsPath)) throw new Error(`no recorded events at ${eventsPath}: run the live section first`);
  const target = ctx.quick ? 60_000 : 200_000;
  const runs = ctx.quick ? 3 : 7;
  const cpu = String(Math.max(0, (ctx.cores ?? 2) - 1));
  const args = ["--import", "tsx", join(REPO_ROOT, "bench/suites/ingest-replay.ts"), eventsPath, String(target), String(runs)];
  const pinned = existsSync("/usr/bin/taskset");
  const { stdout } = await run(pinned ? "/usr/bin/taskset" : process.execPath, pinned ? ["-c", cpu, process.execPath, ...args] : args, {
    cwd: REPO_ROOT,
    timeoutMs: 600_000,
  });
  const out = JSON.parse(stdout) as ReplayOutput;
  const rates = summarize(out.results.map((r) => r.rate));
  const r0 = out.results[0]!;
  ctx.figures.push({
    id: "ingest.events_per_second",
    limits:
      "every message is JSON parsed twice (envelope and body) and every task is merged, indexed and packed once it goes quiet; the garbage collector shares the one core. This figure moves with the machine: compare the CPU checks in the noise line",
    row: "event ingest",
    what: `recorded real events replayed through the agent's event path (RedisBroker's BodyDecoder, i.e. decodeEnvelope for each new envelope layout -> eventsFromBody -> WorkerRegistry + TaskStore), the whole process ${pinned ? `pinned to CPU ${cpu} with taskset (garbage-collector threads included)` : "not pinned (no taskset)"}`,
    value: rates.p50,
    unit: "events/s",
    target: { op: ">=", limit: 100_000, text: ">= 100k events/s on one core" },
    summary: rates,
    note: `${r0.events.toLocaleString("en-US")} events in ${out.messages.toLocaleString("en-US")} messages (${round(out.bytes / 2 ** 20, 1)} MB; the recording of ${out.recordedMessages} messages, ${out.perCopy} events, copied ${out.copies} times with new task ids and later times) per run; ${runs} runs after a warm-up, each into a fresh store (--max-tasks 100000, so eviction runs too). CPU time per run ≈ wall time (${fmt(r0.cpuMs, "ms")} CPU for ${fmt(r0.ms, "ms")}). ${r0.rejected} rejected. Not included: ioredis reading the pub/sub socket.`,
  });
  log(`ingest: ${out.results.map((r) => Math.round(r.rate)).join(", ")} events/s`);
}
