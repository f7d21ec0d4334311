/**
 * Why a task waits, against real workers: a task name its queue's only consumer does not register,
 * waiting while that solo worker is busy (once free, the worker rejects it: NotRegistered); and a
 * task prefetched by a prefork worker of one process behind a long task. Each finding names its
 * evidence's source, and goes once the situation ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TaskDetail } from "../../agent/api/schema/tasks";
import { contractGet } from "../harness/contract";
import { CeleryWorker, eventually, RedisServer, startAgent, stopAll } from "../harness/deployment";
import { evidenceOf, FindingsProbe } from "../harness/findings";

let redis: RedisServer;
let probe: FindingsProbe;

const task = (id: string) => contractGet<TaskDetail>(probe.agent, "task", `tasks/${id}`);
const reachesState = (id: string, state: string, timeoutMs = 30_000) =>
  eventually(async () => (await task(id)).state === state, timeoutMs, `task ${id} ${state}`);

before(async () => {
  redis = await RedisServer.start();
  const [broker, backend] = [redis.url(0), redis.url(1)];
  await Promise.all([
    CeleryWorker.start({ broker, backend, name: "solo@tasks", pool: "solo", queues: ["lane"] }),
    CeleryWorker.start({ broker, backend, name: "one@tasks", pool: "prefork", concurrency: 1, queues: ["prefetch"] }),
  ]);
  const agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "tasks-agent"]);
  probe = new FindingsProbe(agent, broker, backend);
  // The workers' queues and registered names are asked now, while both can answer: a busy solo
  // worker answers nothing, and the agent reasons from the replies it holds.
  await eventually(async () => {
    const workers = (await probe.agent.get<{ workers: { name: string }[] }>("/api/v1/workers")).body.workers;
    await probe.list();
    return workers.length === 2;
  });
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a task name the consumers of its queue do not register", () => {
  it("is said to wait for workers that will reject it, until the worker takes and rejects it", async () => {
    // The solo worker is busy: the message waits in the queue, and no consumer of it knows the name.
    const busy = await probe.send(`print(p.sleep_for.apply_async((15,), queue="lane").id)`);
    await reachesState(busy, "STARTED");
    const id = await probe.send(`print(p.app.send_task("not.registered", (1,), queue="lane").id)`);

    const w = await eventually(
      async () => {
        const x = await probe.why(id);
        return x.findings[0]?.kind === "task_waiting_unregistered" && x;
      },
      15_000,
      "the why of the unregistered task",
    );
    assert.deepEqual([w.known, w.state, w.queue], [true, "PENDING", "lane"]);
    const f = w.findings[0]!;
    assert.equal(f.severity, "problem");
    assert.match(
      f.sentence,
      /waits in queue lane, whose consumers \(solo@tasks\) do not register not\.registered: the one that takes it will drop its message and fail it \(NotRegistered\)/,
    );
    assert.deepEqual(evidenceOf(f, "registered by the consumers"), { value: false, source: "inspect" });
    assert.deepEqual(evidenceOf(f, "consumers online"), { value: 1, source: "inspect" });
    assert.deepEqual(evidenceOf(f, "queue"), { value: "lane", source: "broker" });
    assert.deepEqual(evidenceOf(f, "position in the queue"), { value: 1, source: "broker" });
    // Listed once it has waited a while, about the task.
    const listed = await probe.appears("task_waiting_unregistered", id, 15_000);
    assert.equal(listed.subject.type, "task");

    // Free again, the worker takes the message and rejects it: the task fails with NotRegistered,
    // and waits for nothing.
    await reachesState(busy, "SUCCESS");
    const rejected = await eventually(
      async () => {
        const t = await task(id);
        return t.state !== "PENDING" && t;
      },
      30_000,
      "the unregistered task taken by the worker",
    );
    assert.equal(rejected.state, "FAILURE");
    assert.match(JSON.stringify(rejected), /NotRegistered/);
    assert.deepEqual((await probe.why(id)).findings, []);
    await probe.disappears("task_waiting_unregistered", id);
  });
});

describe("a task prefetched behind a long one on a prefork worker of one process", () => {
  it("names the worker and the running task, until both have run", async () => {
    const long = await probe.send(`print(p.sleep_for.apply_async((15,), queue="prefetch").id)`);
    await reachesState(long, "STARTED");
    const behind = await probe.send(`print(p.add.apply_async((1, 2), queue="prefetch").id)`);

    const w = await eventually(
      async () => {
        const x = await probe.why(behind);
        return x.findings[0]?.kind === "task_reserved_behind_running" && x;
      },
      15_000,
      "the why of the prefetched task",
    );
    assert.equal(w.state, "RECEIVED", "the worker prefetched it");
    const f = w.findings[0]!;
    assert.equal(f.severity, "warning");
    assert.match(f.sentence, new RegExp(`reserved by one@tasks .* behind the running task panel_fixture\\.sleep_for ${long}`));
    assert.deepEqual(evidenceOf(f, "received by"), { value: "one@tasks", source: "events" });
    assert.equal(evidenceOf(f, `running panel_fixture.sleep_for ${long}`)?.source, "events");
    // The list says it too, once it has waited a few seconds.
    const listed = await probe.appears("task_reserved_behind_running", behind, 15_000);
    assert.match(listed.sentence, /one@tasks/);

    await reachesState(long, "SUCCESS");
    await reachesState(behind, "SUCCESS");
    assert.deepEqual((await probe.why(behind)).findings, []);
    await probe.disappears("task_reserved_behind_running", behind);
  });
});
