/**
 * task-sent events off where tasks are sent, not where they run: workers configured with
 * task_send_sent_event on, and a client (a web process configured apart) without it. Tasks arrive at
 * the workers and no task-sent event arrives from anyone: the finding says so, until a client that
 * sends them sends a task.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import { evidence, Findings } from "../harness/findings";
import type { TaskList } from "../../agent/api/schema";

let redis: RedisServer;
let agent: AgentProcess;
let findings: Findings;

/** Sends `count` tasks and waits for their results, from a client with or without task_send_sent_event. */
const sendTasks = (count: number, sentEvents: boolean) =>
  runPython(
    `import panel_fixture as p\nprint([p.add.delay(i, 1).get(timeout=20) for i in range(${count})])`,
    redis.url(0),
    redis.url(1),
    sentEvents ? {} : { FIXTURE_DEFAULT_SETTINGS: "task_send_sent_event" },
  );

before(async () => {
  redis = await RedisServer.start();
  await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "w1@sent-events", pool: "solo" });
  agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-sent-events"]);
  findings = new Findings(agent);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("a client without task_send_sent_event, beside workers that have it on", () => {
  it("is said to send no task-sent events once tasks arrive without them, until one is sent", async () => {
    await sendTasks(6, false);
    const f = await findings.appears("sent_events_off", "task_send_sent_event");
    assert.equal(evidence(f, "task_send_sent_event (workers)", "configuration"), true);
    assert.ok(Number(evidence(f, "task-received events seen", "events")) >= 5);
    assert.equal(evidence(f, "task-sent events seen", "events"), 0);
    assert.match(f.sentence, /^No task-sent event has arrived though workers received \d+ tasks: whatever sends them has task_send_sent_event off/);
    // What it costs: the agent holds the tasks from their receipt on, with no sent time.
    const list = await contractGet<TaskList>(agent, "tasks", "tasks?name=panel_fixture.add");
    assert.ok(list.tasks.length >= 6 && list.tasks.every((t) => t.sent === null && t.received !== null));

    await sendTasks(1, true);
    await findings.goes("sent_events_off", "task_send_sent_event");
  });
});
