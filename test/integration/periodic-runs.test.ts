/**
 * Periodic entries' runs and beat's liveness, against a real `celery beat` (the default file-based
 * scheduler, whose last runs nobody else can read) sending an entry every 2 s to a real worker with
 * events on. The agent derives last run, run count and next run from the tasks it saw, then tells
 * beat is late once beat is stopped.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, stopAll } from "../harness/deployment";
import { startBeatDeployment, type BeatDeployment } from "../harness/beat-deployment";
import { contractGet } from "../harness/contract";

const EVERY_S = 2;
let d: BeatDeployment;

const periodic = () => contractGet(d.agent, "periodicTasks", "periodic-tasks");
const tick = (p: any) => p.periodic_tasks.find((e: any) => e.name === "tick-fast");

before(async () => {
  d = await startBeatDeployment(EVERY_S);
  // A task of the same name sent by hand, with other arguments: not a run of the entry.
  await d.python(`import panel_fixture as p\nprint(p.add.delay(5, 5).get(timeout=20))`);
});

after(async () => {
  await stopAll();
  await d?.destroy();
});

describe("periodic entries from beat_schedule, with beat's default scheduler", () => {
  it("derive last run, run count and next run from the tasks seen, and say beat is alive", async () => {
    const p = await eventually(
      async () => {
        const q = await periodic();
        return (tick(q)?.total_run_count ?? 0) >= 2 && q.beat?.status === "alive" ? q : null;
      },
      60_000,
      "two runs of tick-fast seen and beat alive",
    );
    const e = tick(p);
    assert.equal(e.last_run_source, "tasks seen");
    assert.equal(e.schedule, "every 2 seconds");
    assert.ok(e.last_task_id, "the latest run's task is named");
    assert.equal(Date.parse(e.next_run) - Date.parse(e.last_run), EVERY_S * 1000, "next run = last run + interval");
    assert.equal(e.missed_run, null);
    assert.match(p.beat.detail, /ran \d+ s ago as scheduled/);
    // The fixture's other entries have not run (every 30 s and 5 min, crontabs, solar): nothing is made up for them.
    const nightly = p.periodic_tasks.find((x: any) => x.name === "nightly-report");
    assert.equal(nightly.last_run, null);
    assert.equal(nightly.last_run_source, null);
  });

  it("the last run is the latest task beat sent for the entry; the count is every such task", async () => {
    await d.beat.stop();
    // Beat sends nothing more: once every task it sent is seen, the entry and the task list agree.
    await eventually(
      async () => {
        const [p, list] = [await periodic(), await contractGet(d.agent, "tasks", "tasks?name=panel_fixture.add&limit=500")];
        // args as the result backend wrote them (JSON), or as events gave them (Celery's repr).
        const argsOf = (t: any) => String(t.args).replace(/\s/g, "");
        const runs = list.tasks.filter((t: any) => argsOf(t) === "[20,22]");
        const e = tick(p);
        assert.ok(
          list.tasks.some((t: any) => argsOf(t) === "[5,5]"),
          "the task sent by hand is listed",
        );
        assert.ok(runs.length >= 2);
        assert.equal(e.last_task_id, runs[0].id, "the newest run");
        assert.equal(e.last_run, runs[0].sent ?? runs[0].received);
        assert.equal(e.total_run_count, runs.length, "the task sent by hand is not counted");
        return true;
      },
      30_000,
      "the entry's runs match the tasks listed",
    );
  });

  it("says beat is late once the entry's run is overdue with nothing seen since", async () => {
    const p = await eventually(
      async () => {
        const q = await periodic();
        return q.beat?.status === "late" ? q : null;
      },
      60_000,
      "beat reported late after it stopped",
    );
    const e = tick(p);
    assert.equal(p.beat.entry, "tick-fast");
    assert.match(p.beat.detail, /^entry tick-fast was due \d+ s ago and nothing was seen since/);
    assert.equal(e.missed_run, e.next_run, "the missed run is the one that was due");
    assert.ok(Date.parse(e.next_run) < Date.now());
    assert.equal(p.beat.last_run, e.last_run);
  });
});
