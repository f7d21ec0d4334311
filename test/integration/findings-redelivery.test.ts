/**
 * Redelivery risk against a real worker on Redis: a countdown task held by a worker whose
 * visibility_timeout (its broker_transport_options) is shorter than the countdown is said to be
 * delivered again and run twice, with the setting and the task as evidence, in the list and in its
 * queue's detail, until it has run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import type { FindingList, QueueDetail } from "../../agent/api/schema";
import type { TaskDetail } from "../../agent/api/schema/tasks";

const VISIBILITY_TIMEOUT_S = 3;
const COUNTDOWN_S = 20;

let redis: RedisServer;
let agent: AgentProcess;
let broker: string;
let backend: string;
const env = { FIXTURE_TRANSPORT_OPTIONS: JSON.stringify({ visibility_timeout: VISIBILITY_TIMEOUT_S }) };
const risks = async () => (await contractGet<FindingList>(agent, "findings", "findings?kind=redelivery_risk")).findings;

before(async () => {
  redis = await RedisServer.start();
  broker = redis.url(0);
  backend = redis.url(1);
  await CeleryWorker.start({ broker, backend, name: "w1@redelivery", pool: "solo", queues: ["celery"], env });
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "redelivery-agent"]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a countdown task past a short visibility_timeout", () => {
  it("is said to be delivered again and run twice, with the setting, until it has run", async () => {
    const out = await runPython(`import panel_fixture as p\nprint(p.add.apply_async((2, 3), countdown=${COUNTDOWN_S}).id)`, broker, backend, env);
    const id = out.trim().split("\n").pop()!;
    const found = await eventually(
      async () => (await risks()).find((f) => f.evidence.some((e) => String(e.value).includes(id))),
      15_000,
      "the redelivery risk of the countdown task listed",
    );
    assert.equal(found.severity, "problem");
    assert.equal(found.subject.type, "queue");
    assert.match(found.sentence, /will be delivered again and run twice/);
    assert.ok(
      found.evidence.some((e) => e.what === "visibility_timeout (s)" && e.value === VISIBILITY_TIMEOUT_S),
      JSON.stringify(found.evidence),
    );
    assert.ok(found.evidence.some((e) => e.what === "visibility_timeout read from" && e.value === "broker_transport_options of w1@redelivery"));
    // The queue's detail carries it, for the panel's "why" box.
    assert.equal(found.subject.id, "celery");
    const queue = await contractGet<QueueDetail>(agent, "queue", "queues/celery");
    assert.ok(
      queue.findings?.some((f) => f.kind === "redelivery_risk"),
      JSON.stringify(queue.findings),
    );
    await eventually(async () => (await contractGet<TaskDetail>(agent, "task", `tasks/${id}`)).state === "SUCCESS", 60_000, "the countdown task ran");
    await eventually(async () => (await risks()).length === 0, 30_000, "no redelivery risk once it has run");
  });
});
