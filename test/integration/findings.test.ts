/**
 * The diagnostics layer against real workers: a task routed to a queue nobody consumes is explained
 * (no consumer) and its queue said not to drain, until a worker consumes it; a worker started
 * without -E whose results arrive is said to send no task events; an id nobody knows gets the
 * explanations the evidence allows. Every response is checked against the contract.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import { recordEventStream } from "../harness/event-stream";
import { StreamPayloadSchemas, type FindingList, type FindingView, type TaskWhy } from "../../agent/api/schema";

let redis: RedisServer;
let agent: AgentProcess;
let broker: string;
let backend: string;

const findings = (query = "") => contractGet<FindingList>(agent, "findings", `findings${query}`);
const why = (id: string) => contractGet<TaskWhy>(agent, "taskWhy", `tasks/${id}/why`);
const find = (list: FindingList, kind: string, subject: string): FindingView | undefined =>
  list.findings.find((f) => f.kind === kind && f.subject.id === subject);
/** The `findings` events of a recorded stream, each checked against the contract. */
function streamedFindings(text: string): FindingList[] {
  return text
    .split("\n\n")
    .filter((b) => b.startsWith("event: findings\n"))
    .map((b) => {
      const parsed = StreamPayloadSchemas.findings.safeParse(JSON.parse(b.slice(b.indexOf("data: ") + 6)));
      assert.ok(parsed.success, "a findings event breaks the contract");
      return parsed.data as FindingList;
    });
}
const send = async (code: string, env: Record<string, string> = {}) =>
  (await runPython(`import panel_fixture as p\n${code}`, broker, backend, env)).trim().split("\n").pop()!;

before(async () => {
  redis = await RedisServer.start();
  broker = redis.url(0);
  backend = redis.url(1);
  await CeleryWorker.start({ broker, backend, name: "w1@findings", pool: "solo", queues: ["celery"] });
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "findings-agent"]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a task routed to a queue with no consumer", () => {
  it("is explained, and its queue said not to drain, until a worker consumes it", async () => {
    const stream = await recordEventStream(agent.url);
    const id = await send(`print(p.add.apply_async((2, 3), queue="parked").id)`);
    const list = await eventually(
      async () => {
        const l = await findings();
        return find(l, "queue_no_consumer", "parked") && l;
      },
      30_000,
      "the queue's finding listed",
    );
    // A stream opened now (the change already streamed) gets the findings as they are, though nothing changes.
    const both = (l: FindingList) => find(l, "queue_no_consumer", "parked");
    await eventually(async () => streamedFindings(stream.text()).some(both), 5000, "the change streamed");
    const late = await recordEventStream(agent.url);
    await eventually(async () => streamedFindings(late.text()).some((l) => find(l, "queue_no_consumer", "parked")), 5000, "the findings sent to a new stream");
    await late.stop();
    // The list says it once, for the queue: each task waiting there for that reason is folded into it
    // (a parked queue of 500 tasks is one problem); the task's own "why" says it for the task.
    assert.equal(find(list, "task_waiting_no_consumer", id), undefined);
    const w = await why(id);
    assert.deepEqual([w.known, w.state, w.queue], [true, "PENDING", "parked"]);
    const task = w.findings[0]!;
    assert.equal(task.kind, "task_waiting_no_consumer");
    assert.equal(task.severity, "problem");
    assert.deepEqual(task.subject, { type: "task", id });
    assert.match(task.sentence, /waits in queue parked, which no online worker consumes/);
    assert.ok(task.evidence.some((e) => e.what === "consumers online" && e.value === 0 && e.source === "inspect"));
    const queue = find(list, "queue_no_consumer", "parked")!;
    assert.ok(
      queue.evidence.some((e) => e.what === "messages" && e.value === 1 && e.source === "broker"),
      JSON.stringify(queue.evidence),
    );
    assert.ok(list.counts.problem >= 1);
    // The filters: by subject (type and id), severity, kind.
    assert.deepEqual(
      (await findings("?subject=queue:parked")).findings.map((f) => f.kind),
      ["queue_no_consumer"],
    );
    assert.ok((await findings("?severity=problem")).findings.every((f) => f.severity === "problem"));
    assert.deepEqual(
      (await findings("?kind=queue_no_consumer")).findings.map((f) => f.subject.id),
      ["parked"],
    );
    assert.equal((await agent.get("/api/v1/findings?severity=dire")).status, 400);

    await CeleryWorker.start({ broker, backend, name: "w2@findings", pool: "solo", queues: ["parked"] });
    await eventually(
      async () => {
        const l = await findings();
        return !find(l, "queue_no_consumer", "parked") && l;
      },
      30_000,
      "the finding gone once w2 consumes parked",
    );
    // The stream said both: when they appeared, and when they went.
    const said = (text: string) => {
      const streamed = streamedFindings(text);
      const at = streamed.findIndex((l) => find(l, "queue_no_consumer", "parked"));
      return at >= 0 && streamed.slice(at + 1).some((l) => !find(l, "queue_no_consumer", "parked"));
    };
    await eventually(async () => said(stream.text()), 10_000, "the findings and their end streamed");
    await stream.stop();
    const done = await eventually(async () => {
      const x = await why(id);
      return x.state === "SUCCESS" && x;
    });
    assert.deepEqual(done.findings, [], "a finished task waits for nothing");
  });
});

describe("a task the agent does not hold, deep in a queue", () => {
  it("is found by a bounded read of the queue, at its position", async () => {
    // Sent with no task-sent event, behind more messages than the waiting read takes in (100).
    const ids = JSON.parse(
      await send(`import json\nprint(json.dumps([p.add.apply_async((i, i), queue="deep").id for i in range(130)]))`, {
        FIXTURE_EXTRA_SETTINGS: JSON.stringify({ task_send_sent_event: false }),
      }),
    ) as string[];
    const w = await why(ids[119]!);
    assert.deepEqual([w.known, w.state, w.queue, w.position], [true, "PENDING", "deep", 120]);
    assert.equal(w.findings[0]?.kind, "task_waiting_no_consumer");
    assert.ok(w.findings[0]!.evidence.some((e) => e.what === "position in the queue" && e.value === 120 && e.source === "broker"));
  });
});

describe("a task revoked while it waits in a queue", () => {
  it("is said to be revoked, not only waiting", async () => {
    const id = await send(`r = p.add.apply_async((4, 4), queue="held_back")\np.app.control.revoke(r.id)\nprint(r.id)`);
    const w = await eventually(
      async () => {
        const x = await why(id);
        return x.findings[0]?.kind === "task_revoked" && x;
      },
      15_000,
      "the revoke seen in the workers' revoked lists",
    );
    assert.equal(w.state, "PENDING", "its message still waits: no worker took it");
    assert.match(w.findings[0]!.sentence, /in the revoked list of w1@findings/);
  });
});

describe("an id nobody knows", () => {
  it("gets the explanations the evidence allows", async () => {
    const w = await why(randomUUID());
    assert.equal(w.known, false);
    assert.equal(w.findings[0]?.kind, "task_unknown");
    assert.match(w.findings[0]!.sentence, /a wrong id/);
    assert.ok(w.findings[0]!.evidence.some((e) => e.source === "result_backend" && e.value === false));
  });
});

describe("a worker started without -E", () => {
  it("is said to send no task events once its results arrive", async () => {
    const env = { FIXTURE_DEFAULT_SETTINGS: "worker_send_task_events" };
    await CeleryWorker.start({ broker, backend, name: "quiet@findings", pool: "solo", queues: ["quiet"], events: false, env });
    assert.equal(find(await findings(), "worker_no_task_events", "quiet@findings"), undefined, "no result yet: nothing to say");
    await send(`print(p.add.apply_async((1, 1), queue="quiet").get(timeout=30))`, env);
    const list = await eventually(
      async () => {
        const l = await findings();
        return find(l, "worker_no_task_events", "quiet@findings") && l;
      },
      30_000,
      "the events-off finding",
    );
    const f = find(list, "worker_no_task_events", "quiet@findings")!;
    assert.equal(f.severity, "problem");
    assert.match(f.action, /-E/);
    assert.ok(f.evidence.some((e) => e.source === "result_backend" && e.value === 1));
    // Workers started with -E store results too, and are not named.
    assert.equal(find(list, "worker_no_task_events", "w1@findings"), undefined);
    assert.equal(find(list, "worker_no_task_events", "w2@findings"), undefined);
  });
});
