/**
 * A queue filling faster than it drains, against a real solo worker fed faster than it runs, with
 * the agent's --trend-window at 15 s (what a deployment of short tasks would choose): the queue is
 * said not to drain, with the rate in versus out (each naming its source) and the time to empty,
 * measured over the rise, not over the time the agent watched it empty before; the finding goes once
 * sending stops, and the queue empties.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { QueueDetail } from "../../agent/api/schema";
import { contractGet } from "../harness/contract";
import { CeleryWorker, eventually, letTimePass, RedisServer, startAgent, stopAll } from "../harness/deployment";
import { evidenceOf, FindingsProbe } from "../harness/findings";

const TREND_WINDOW_S = 15;
/** Each task takes this long on a pool of one: about three a second out... */
const TASK_S = 0.3;
/** ...and five a second come in (two at a time), for this long. */
const SEND_EVERY_S = 0.4;
const SEND_FOR_S = 26;
/** The agent watches the queue empty for this long first, as it would have for hours in a deployment. */
const IDLE_S = 20;

let redis: RedisServer;
let probe: FindingsProbe;

const depth = async () => (await contractGet<QueueDetail>(probe.agent, "queue", "queues/trickle")).messages;

before(async () => {
  redis = await RedisServer.start();
  const [broker, backend] = [redis.url(0), redis.url(1)];
  await CeleryWorker.start({ broker, backend, name: "slow@draining", pool: "solo", queues: ["trickle"] });
  const agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "draining-agent", "--trend-window", String(TREND_WINDOW_S)]);
  probe = new FindingsProbe(agent, broker, backend);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a queue filling faster than its consumer drains it", () => {
  it("is said not to drain, with rates in and out and the time to empty, until sending stops and it empties", async () => {
    // The findings are read all along: the agent samples the queue's depth while someone watches.
    for (const until = Date.now() + IDLE_S * 1000; Date.now() < until; ) {
      assert.equal(await probe.find("queue_not_draining", "trickle"), undefined);
      await letTimePass(1000, "the agent samples the empty queue for a while");
    }
    const sendingFrom = Date.now();
    const sending = probe.send(
      `import time\nfor _ in range(${Math.round(SEND_FOR_S / SEND_EVERY_S)}):\n    p.sleep_for.apply_async((${TASK_S},), queue="trickle")\n    p.sleep_for.apply_async((${TASK_S},), queue="trickle")\n    time.sleep(${SEND_EVERY_S})\nprint("sent")`,
    );
    sending.catch(() => undefined); // awaited below; a failed assertion first must not leave it unhandled
    const f = await probe.appears("queue_not_draining", "trickle", (SEND_FOR_S + 10) * 1000);
    assert.equal(f.severity, "warning");
    assert.match(
      f.sentence,
      /^Queue trickle grew from \d+ to \d+ messages in \d+ s \(about [\d.]+ a minute in, [\d.]+ out\): at this rate it never empties; were nothing more sent, its consumers would take \d+ (s|min)\.$/,
    );
    const rateIn = evidenceOf(f, "messages in per minute");
    const rateOut = evidenceOf(f, "tasks received per minute");
    assert.equal(rateIn?.source, "broker");
    assert.equal(rateOut?.source, "events");
    assert.ok(Number(rateIn!.value) > Number(rateOut!.value) && Number(rateOut!.value) > 0, JSON.stringify(f.evidence));
    const [then, now] = [evidenceOf(f, "messages then"), evidenceOf(f, "messages now")];
    assert.ok(Number(now?.value) - Number(then?.value) >= 10, JSON.stringify(f.evidence));
    assert.equal(now?.source, "broker");
    // Rates and growth are measured over the rise, not over the quiet seconds the agent watched before:
    // the rise starts at the last sample of the empty queue (samples are 5 to 7.5 s apart while read).
    const rose = Date.parse(String(f.evidence.find((e) => e.what === "messages then")?.at));
    assert.ok(rose > sendingFrom - 12_000, `the rise measured from ${new Date(rose).toISOString()}, sending from ${new Date(sendingFrom).toISOString()}`);
    assert.deepEqual(evidenceOf(f, "consumers online"), { value: 1, source: "inspect" });
    // The queue's detail carries it, for the panel's "why" box.
    const queue = await contractGet<QueueDetail>(probe.agent, "queue", "queues/trickle");
    assert.ok(
      queue.findings?.some((x) => x.kind === "queue_not_draining"),
      JSON.stringify(queue.findings),
    );

    assert.equal(await sending, "sent");
    await probe.disappears("queue_not_draining", "trickle", 60_000);
    await eventually(async () => (await depth()) === 0, 60_000, "the queue empty");
    assert.equal(await probe.find("queue_not_draining", "trickle"), undefined);
  });
});
