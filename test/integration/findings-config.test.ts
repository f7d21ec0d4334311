/**
 * Settings findings against a real worker configured the way they warn of (task_track_started and
 * task_send_sent_event left at Celery's defaults, task_acks_late without task_reject_on_worker_lost,
 * pickle accepted, results expiring after 5 s), each checked against what the worker really does:
 * the backend says PENDING for a running task, a killed pool process's task fails instead of being
 * redelivered, a pickled message runs, an expired result is gone. Replaced by a worker configured
 * well, under another name, every finding goes. Beside it, a client without task_send_sent_event
 * sending to workers that have it on: the finding comes from the tasks received with no task-sent
 * event, and goes once a client that sends them sends a task.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import { evidence, FindingsProbe } from "../harness/findings";
import type { TaskList } from "../../agent/api/schema";
import type { TaskDetail } from "../../agent/api/schema/tasks";

const RESULT_EXPIRES_S = 5;
/** The lax worker's settings, and its clients': the two events settings at Celery's default (off). */
const LAX_ENV = {
  FIXTURE_DEFAULT_SETTINGS: "task_track_started,task_send_sent_event",
  FIXTURE_EXTRA_SETTINGS: JSON.stringify({ task_acks_late: true, accept_content: ["json", "pickle"], result_expires: RESULT_EXPIRES_S }),
};

/** Celery refuses to run as root a worker that accepts pickle; tests run as root. */
const WORKER_ENV = { ...LAX_ENV, C_FORCE_ROOT: "1" };

let redis: RedisServer;
let agent: AgentProcess;
let findings: FindingsProbe;
let lax: CeleryWorker;
let strict: CeleryWorker | undefined;
/** The first task run: older than result_expires by the time its finding is looked at. */
let firstId: string;

const python = async (code: string, env: Record<string, string> = LAX_ENV) =>
  (await runPython(`import os, signal, time\nimport panel_fixture as p\n${code}`, redis.url(0), redis.url(1), env)).trim().split("\n").pop()!;

after(stopAll);

// Two deployments side by side: task-sent events are remembered for good once seen, so the client
// configured apart needs an agent of its own.
describe("settings findings", { concurrency: true }, () => {
  // Its steps follow one another (the parent runs its children side by side, and they inherit that).
  describe("a worker with every lax setting", { concurrency: false }, () => {
    before(async () => {
      redis = await RedisServer.start();
      lax = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "lax@config", concurrency: 2, env: WORKER_ENV });
      agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-config"]);
      findings = new FindingsProbe(agent);
    });

    after(async () => {
      await Promise.allSettled([lax?.stop(), strict?.stop(), agent?.stop()]);
      await redis?.destroy();
    });

    describe("a worker with task_track_started off, sent a task by a client without task_send_sent_event", () => {
      it("the backend says PENDING while it runs; both events findings are said", async () => {
        const [id, stateWhileRunning] = (await python(`r = p.sleep_for.delay(3)\ntime.sleep(1.5)\nprint(r.id, r.state)\nr.get(timeout=20)`)).split(" ");
        firstId = id!;
        assert.equal(stateWhileRunning, "PENDING", "no STARTED in the backend");
        const track = await findings.appears("track_started_off", "task_track_started");
        assert.equal(evidence(track, "task_track_started", "configuration"), false);
        assert.match(track.sentence, /the events still say when tasks start/);
        const sent = await findings.appears("sent_events_off", "task_send_sent_event");
        assert.equal(evidence(sent, "task-sent events seen", "events"), 0);
        // What the agent holds of the task: received and started (events), never sent.
        const task = await contractGet<TaskDetail>(agent, "task", `tasks/${firstId}`);
        assert.equal(task.sent, null);
        assert.ok(task.received && task.started);
      });
    });

    describe("a worker acknowledging late without task_reject_on_worker_lost", () => {
      it("is said to be risky, and a task whose pool process is killed fails rather than running again", async () => {
        const f = await findings.appears("acks_late_without_reject_on_worker_lost", "task_acks_late");
        assert.equal(f.severity, "warning");
        assert.equal(evidence(f, "workers", "inspect"), "lax@config");
        const outcome = await python(
          [
            "r = p.sleep_for.delay(30)",
            "for _ in range(100):",
            '    mine = [a for a in (p.app.control.inspect(destination=["lax@config"], timeout=1).active() or {}).get("lax@config", []) if a["id"] == r.id]',
            "    if mine: break",
            "    time.sleep(0.2)",
            'os.kill(mine[0]["worker_pid"], signal.SIGKILL)',
            "try:\n    r.get(timeout=30)\n    print('ran')\nexcept Exception as e:\n    print(type(e).__name__)",
          ].join("\n"),
        );
        assert.equal(outcome, "WorkerLostError", "acknowledged as failed, not delivered again");
      });
    });

    describe("a worker accepting pickle", () => {
      it("is said to, and runs a pickled message", async () => {
        const f = await findings.appears("pickle_accepted", "accept_content");
        assert.equal(evidence(f, "workers", "inspect"), "lax@config");
        assert.equal(await python(`print(p.add.apply_async((2, 2), serializer="pickle").get(timeout=20))`), "4");
      });
    });

    describe("results expiring sooner than the history the agent holds", () => {
      it("is said once the backend has lost the oldest task's result, which the agent still lists", async () => {
        await eventually(async () => (await python(`print(p.app.AsyncResult("${firstId}").state)`)) === "PENDING", 30_000, "the first result expired");
        const f = await findings.appears("result_expires_shorter_than_history", "result_expires");
        assert.equal(f.severity, "info");
        assert.equal(evidence(f, "result_expires (s)", "configuration"), RESULT_EXPIRES_S);
        const oldest = Date.parse(String(evidence(f, "oldest task held", "events")));
        const first = await contractGet<TaskDetail>(agent, "task", `tasks/${firstId}`);
        assert.equal(oldest, Date.parse(first.received!), "the oldest task held is the first one run");
        assert.equal(first.state, "SUCCESS");
      });
    });

    describe("the lax settings put right", () => {
      it("a client sending task-sent events ends one finding; a worker configured well, the rest", async () => {
        await python(`print(p.add.delay(1, 1).get(timeout=20))`, {});
        await findings.disappears("sent_events_off", "task_send_sent_event");
        assert.ok(await findings.find("track_started_off", "task_track_started"), "the worker's own setting still off");

        // Replaced under another name (a new host): the one gone no longer counts.
        await lax.stop();
        strict = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "strict@config", pool: "solo" });
        for (const [kind, subject] of [
          ["track_started_off", "task_track_started"],
          ["acks_late_without_reject_on_worker_lost", "task_acks_late"],
          ["pickle_accepted", "accept_content"],
          ["result_expires_shorter_than_history", "result_expires"],
        ] as const) {
          await findings.disappears(kind, subject, 30_000);
        }
        assert.ok(await findings.find("worker_offline", "lax@config"), "the lax worker is offline, said apart");
      });
    });
  });

  describe("a client without task_send_sent_event, beside workers that have it on", () => {
    let deployment: { redis: RedisServer; agent: AgentProcess; worker: CeleryWorker };
    /** Sends `count` tasks and waits for their results, from a client with or without task_send_sent_event. */
    const sendTasks = (count: number, sentEvents: boolean) =>
      runPython(
        `import panel_fixture as p\nprint([p.add.delay(i, 1).get(timeout=20) for i in range(${count})])`,
        deployment.redis.url(0),
        deployment.redis.url(1),
        sentEvents ? {} : { FIXTURE_DEFAULT_SETTINGS: "task_send_sent_event" },
      );

    before(async () => {
      const redis = await RedisServer.start();
      const worker = await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "w1@sent-events", pool: "solo" });
      const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-sent-events"]);
      deployment = { redis, agent, worker };
    });

    after(async () => {
      await Promise.allSettled([deployment?.worker.stop(), deployment?.agent.stop()]);
      await deployment?.redis.destroy();
    });

    it("is said to send no task-sent events once tasks arrive without them, until one is sent", async () => {
      const findings = new FindingsProbe(deployment.agent);
      await sendTasks(6, false);
      const f = await findings.appears("sent_events_off", "task_send_sent_event");
      assert.equal(evidence(f, "task_send_sent_event (workers)", "configuration"), true);
      assert.ok(Number(evidence(f, "task-received events seen", "events")) >= 5);
      assert.equal(evidence(f, "task-sent events seen", "events"), 0);
      assert.match(f.sentence, /^No task-sent event has arrived though workers received \d+ tasks: whatever sends them has task_send_sent_event off/);
      // What it costs: the agent holds the tasks from their receipt on, with no sent time.
      const list = await contractGet<TaskList>(deployment.agent, "tasks", "tasks?name=panel_fixture.add");
      assert.ok(list.tasks.length >= 6 && list.tasks.every((t) => t.sent === null && t.received !== null));

      await sendTasks(1, true);
      await findings.disappears("sent_events_off", "task_send_sent_event");
    });
  });
});
