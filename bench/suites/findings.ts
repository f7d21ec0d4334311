/**
 * The diagnostics' targets (issue 14), on the deployment of findings/deployment.ts (1M tasks held,
 * 1,000 queues, a 100k-message queue):
 *   - recompute latency: messages pushed onto a bound queue nobody consumes, to the
 *     `queue_no_consumer` finding on the event stream (no event tells the agent: only its own reads);
 *   - `findings` p50, and how long the event loop is held while findings are kept current (a
 *     `health` request every 25 ms with a stream open: what the recomputes cost other requests);
 *   - `tasks/:id/why` of an id nobody knows, the 100k-message queue read (bounded) to look for it.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { log, timedGet } from "../lib/proc";
import { fmtMs, summarize } from "../lib/stats";
import type { BenchContext } from "../run";
import { DEEP_MESSAGES, PARKED_QUEUE, QUEUES, startFindingsDeployment } from "./findings/deployment";
import { message } from "./queues";

interface FindingList {
  findings: { kind: string; subject: { id: string } }[];
}

/** The agent's event stream, its `findings` events handed to whoever waits for one that matches. */
async function followFindings(agent: AgentProcess) {
  const ctrl = new AbortController();
  const res = await fetch(`${agent.url}/api/v1/events`, { signal: ctrl.signal });
  type Waiter = { test: (l: FindingList) => boolean; resolve: (at: number) => void };
  let waiter = null as Waiter | null;
  let buffer = "";
  const reading = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const blocks = buffer.split("\n\n");
        buffer = blocks.pop()!;
        for (const b of blocks) {
          if (!b.startsWith("event: findings\n")) continue;
          const list = JSON.parse(b.slice(b.indexOf("data: ") + 6)) as FindingList;
          if (waiter?.test(list)) {
            waiter.resolve(performance.now());
            waiter = null;
          }
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    next(test: (l: FindingList) => boolean, timeoutMs: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`findings: no matching findings event in ${timeoutMs} ms`)), timeoutMs);
        waiter = {
          test,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
    },
    async stop() {
      ctrl.abort();
      await reading;
    },
  };
}

const parked = (l: FindingList) => l.findings.some((f) => f.kind === "queue_no_consumer" && f.subject.id === PARKED_QUEUE);

export async function findingsSuite(ctx: BenchContext, metasPath: string): Promise<void> {
  const taskCount = ctx.quick ? 200_000 : 1_000_000;
  const redis = await RedisServer.start();
  const client = new Redis(redis.port, { db: 0 });
  try {
    const d = await startFindingsDeployment(redis, metasPath, taskCount);
    const base = `${d.agent.url}/api/v1`;
    const rounds = ctx.quick ? 5 : 15;

    // --- findings p50: requests 300 ms apart (the first one untimed: it starts the agent's interest)
    const first = await timedGet<FindingList>(`${base}/findings`);
    const list: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await sleep(300);
      list.push((await timedGet(`${base}/findings`)).ms);
    }
    const l = summarize(list);
    const setup = `${d.tasksHeld.toLocaleString("en-US")} tasks held; ${d.notes.join("; ")}`;
    ctx.figures.push({
      id: "findings.list",
      row: "findings",
      what: `\`findings\` with 1M tasks held and ${QUEUES.toLocaleString("en-US")} queues, requests 300 ms apart`,
      value: l.p50,
      unit: "ms",
      target: { op: "<=", limit: 20, text: "p50 <= 20 ms" },
      summary: l,
      note: `${first.body.findings.length} findings (${first.bytes.toLocaleString("en-US")} bytes); the first request took ${fmtMs(first.ms)}. ${setup}.`,
      limits:
        "the findings are recomputed each second in the background while asked for (1,000 queues' depths read, every rule run), and requests wait for the event loop in between; a request finding them older than 2 s recomputes them first",
    });

    // --- the event loop while findings are kept current, nothing changing (a stream open)
    const stream = await followFindings(d.agent);
    await sleep(2000);
    const health: number[] = [];
    const until = performance.now() + (ctx.quick ? 8000 : 20_000);
    while (performance.now() < until) {
      health.push((await timedGet(`${base}/health`)).ms);
      await sleep(25);
    }
    const h = summarize(health);
    const p99 = [...health].sort((a, b) => a - b)[Math.floor(health.length * 0.99)]!;
    ctx.figures.push({
      id: "findings.loop_hold",
      row: "findings",
      what: "`health` every 25 ms for 20 s with an event stream open (findings kept current, nothing changing): the slowest answer, i.e. the longest the recomputes held the event loop",
      value: h.max,
      unit: "ms",
      target: null,
      summary: h,
      note: `${health.length} requests: p50 ${fmtMs(h.p50)}, p99 ${fmtMs(p99)}, max ${fmtMs(h.max)}.`,
    });

    // --- recompute latency: a bound queue nobody consumes gains messages
    const trials = ctx.quick ? 3 : 9;
    const appear: number[] = [];
    const clear: number[] = [];
    for (let t = 0; t < trials; t++) {
      await sleep(500 + Math.random() * 2000);
      const shown = stream.next(parked, 30_000);
      const t0 = performance.now();
      await client.rpush(PARKED_QUEUE, ...Array.from({ length: 5 }, (_, k) => message(PARKED_QUEUE, 0, 2_000_000 + t * 10 + k)));
      appear.push((await shown) - t0);
      await sleep(500 + Math.random() * 2000);
      const gone = stream.next((l) => !parked(l), 30_000);
      const t1 = performance.now();
      await client.del(PARKED_QUEUE);
      clear.push((await gone) - t1);
    }
    await stream.stop();
    const a = summarize(appear);
    const c = summarize(clear);
    ctx.figures.push({
      id: "findings.recompute_latency",
      row: "findings",
      what: `5 messages pushed (RPUSH) onto \`${PARKED_QUEUE}\`, bound and consumed by no worker, to the \`queue_no_consumer\` finding on the event stream; ${trials} trials at random moments`,
      value: a.p50,
      unit: "ms",
      target: { op: "<=", limit: 1000, text: "<= 1 s after the change" },
      summary: a,
      note: `the queue emptied again (DEL) to the finding gone from the stream: p50 ${fmtMs(c.p50)}, max ${fmtMs(c.max)}. No event tells the agent of either: it sees them by reading the queues' depths. The stream batches every 250 ms.`,
      limits: "the change is seen at the next recompute: how often findings are recomputed while someone watches",
    });

    // --- the "why" of an id nobody knows, with a 100k-message queue to look through
    const whys: number[] = [];
    let read = "";
    for (let i = 0; i < rounds + 1; i++) {
      const r = await timedGet<{ known: boolean; findings: { evidence: { what: string; value: unknown }[] }[] }>(`${base}/tasks/${randomUUID()}/why`);
      if (r.status !== 200 || r.body.known) throw new Error(`findings: why answered ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      if (i > 0) whys.push(r.ms);
      const searched = r.body.findings.flatMap((f) => f.evidence).find((e) => /messages read/i.test(e.what));
      if (searched) read = `${searched.what}: ${String(searched.value)}`;
      await sleep(300);
    }
    const w = summarize(whys);
    ctx.figures.push({
      id: "findings.why_unknown",
      row: "findings",
      what: `\`tasks/:id/why\` of an id nobody knows (a new one each time), ${DEEP_MESSAGES.toLocaleString("en-US")} messages in one queue besides the others`,
      value: w.p50,
      unit: "ms",
      target: { op: "<=", limit: 200, text: "<= 200 ms" },
      summary: w,
      note: `the queues read with LRANGE up to the locate limits (in messages and time), then the result backend, then the workers' revoked lists (one real worker answers).${read ? ` ${read} (of the last request).` : ""}`,
      limits:
        "the waiting messages' read, the queues' bindings and depths read again, the LRANGE of the queues in batches of 2,500 (the next batch only within 120 ms), the result backend, and a remote-control round trip for the revoked lists",
    });
    log(
      `findings: list p50 ${fmtMs(l.p50)}; loop hold max ${fmtMs(h.max)} (p99 ${fmtMs(p99)}); recompute latency p50 ${fmtMs(a.p50)} (clear ${fmtMs(c.p50)}); why unknown p50 ${fmtMs(w.p50)}`,
    );
  } finally {
    client.disconnect();
    await stopAll();
    await redis.destroy().catch(() => undefined);
  }
}
