/** Coalescing (live section): 50 clients polling `workers` and `overview`, broadcasts counted with MONITOR. */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { decodeEnvelope, isRecord } from "../../../agent/protocol/envelope";
import type { AgentProcess } from "../../../test/harness/deployment";
import { log, timedGet } from "../../lib/proc";
import { fmtMs, summarize } from "../../lib/stats";
import type { BenchContext } from "../../run";

export async function coalescing(ctx: BenchContext, agent: AgentProcess, broker: string): Promise<void> {
  const seconds = ctx.quick ? 10 : 20;
  const clients = 50;
  const base = new Redis(broker);
  const mon = await base.monitor();
  const byMethod = new Map<string, number[]>(); // method (and its arguments) -> broadcast times (Redis's clock, s)
  let commands = 0;
  let counting = false;
  mon.on("monitor", (time: string, args: string[]) => {
    if (!counting) return;
    commands++;
    if (args[0]?.toLowerCase() !== "publish" || !args[1]?.endsWith("celery.pidbox")) return;
    const env = decodeEnvelope(args[2] ?? "");
    const body = env.ok && isRecord(env.envelope.body) ? env.envelope.body : null;
    // One read is a method and its arguments: `conf` and `conf` with defaults are two reads, cached apart.
    const readArgs = body && isRecord(body.arguments) && Object.keys(body.arguments).length ? ` ${JSON.stringify(body.arguments)}` : "";
    const method = body && typeof body.method === "string" ? `${body.method}${readArgs}` : "?";
    const list = byMethod.get(method) ?? [];
    list.push(Number(time));
    byMethod.set(method, list);
  });
  await sleep(300);
  const latencies: number[] = [];
  let errors = 0;
  counting = true;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      await sleep((i * 977) % 500); // spread the clients' phases
      while (performance.now() < deadline) {
        for (const path of ["workers", "overview"]) {
          const r = await timedGet(`${agent.url}/api/v1/${path}`).catch(() => null);
          if (r?.status !== 200) errors++;
          else latencies.push(r.ms);
        }
        await sleep(200 + ((i * 131) % 300));
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  counting = false;
  mon.disconnect();
  base.disconnect();
  // The rate of each method: broadcasts between its first and last one, over that time (the count
  // over the whole window would add a fence post); and the shortest gap between two of them.
  const rates = [...byMethod]
    .map(([m, times]) => {
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const span = times.length > 1 ? times[times.length - 1]! - times[0]! : elapsed;
      return {
        method: m,
        n: times.length,
        perSecond: times.length > 1 ? (times.length - 1) / span : 1 / elapsed,
        minGap: gaps.length ? Math.min(...gaps) : Infinity,
      };
    })
    .sort((a, b) => b.perSecond - a.perSecond);
  const worst = rates[0] ?? { method: "none", n: 0, perSecond: 0, minGap: Infinity };
  const lat = summarize(latencies);
  ctx.figures.push({
    id: "coalescing.max_per_method",
    row: "coalescing",
    what: `${clients} clients polling \`workers\` and \`overview\` for ${seconds} s: broadcasts per second of the busiest method (\`${worst.method}\`), from MONITOR's timestamps`,
    value: worst.perSecond,
    unit: "/s",
    target: { op: "<=", limit: 1, text: "<= 1 broadcast per command per second" },
    limits: "a method's shared reply is kept for its freshness window (1 s for active and reserved); a new broadcast starts only after it expired",
    note: `${latencies.length} requests answered (${errors} failed), p50 ${fmtMs(lat.p50)}, p90 ${fmtMs(lat.p90)}. Broadcasts by method (count in ${elapsed.toFixed(1)} s, rate, shortest gap between two): ${rates.map((r) => `${r.method} ${r.n} (${r.perSecond.toFixed(2)}/s, ${Number.isFinite(r.minGap) ? `${Math.round(r.minGap * 1000)} ms` : "-"})`).join(", ")}. Commands seen by MONITOR: ${commands}.`,
  });
  log(`live: coalescing ${rates.map((r) => `${r.method} ${r.perSecond.toFixed(2)}/s`).join(", ")} over ${latencies.length} requests`);
}
