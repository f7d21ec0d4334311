/**
 * The durable task history against real workers: tasks outlive the agent (a restart, a SIGKILL)
 * and their results' expiry in the backend; retention drops the oldest and nothing else;
 * --no-history writes nothing; a data directory that cannot be used is reported while the live
 * views go on.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { CeleryWorker, eventually, letTimePass, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { listAllTasks, scratchDirs } from "../harness/task-list";

const dataDir = scratchDirs("celery-panel-history-it-");
after(() => stopAll());

/** The one history file in `dir` (one per broker). */
function historyFile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite"));
  assert.equal(files.length, 1, `one history file in ${dir}: ${files.join(", ")}`);
  return join(dir, files[0]!);
}

const historyHealth = async (agent: AgentProcess) => (await agent.get<any>("/api/v1/health")).body.history;

describe("task history", () => {
  it("keeps tasks, results and runtimes across an agent restart, after the backend expired the results", async () => {
    const redis = await RedisServer.start();
    const dir = dataDir();
    // Results live 3 s in the backend: by the second start they are gone from it.
    const env = { FIXTURE_EXTRA_SETTINGS: JSON.stringify({ result_expires: 3 }) };
    await CeleryWorker.start({ name: "hw@panel", pool: "prefork", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1), env });
    const args = ["--broker", redis.url(0), "--result-backend", redis.url(1), "--data-dir", dir];
    const first = await startAgent(args);
    const out = await runPython(
      `import panel_fixture as p
rs = [p.add.delay(i, 100) for i in range(20)]
f = p.fail.delay("kept-in-history")
print(",".join(str(r.get(timeout=30)) for r in rs))
f.get(timeout=30, propagate=False)
print(f.id)
print(",".join(r.id for r in rs))`,
      redis.url(0),
      redis.url(1),
      env,
    );
    const [sums, failedId, idList] = out.trim().split("\n");
    const ids = idList!.split(",");
    assert.deepEqual(
      sums!.split(",").map(Number),
      [...Array(20).keys()].map((i) => i + 100),
    );
    await eventually(
      async () => (await listAllTasks(first)).tasks.filter((t) => t.state === "SUCCESS" || t.state === "FAILURE").length === 21,
      20_000,
      "21 tasks finished",
    );
    await first.stop();
    // The backend forgets the results (result_expires): only the history can answer now.
    await letTimePass(4000, "the results' expiry in the backend");
    const expired = await runPython(`import panel_fixture as p\nprint(p.app.AsyncResult("${failedId}").state)`, redis.url(0), redis.url(1), env);
    assert.equal(expired.trim(), "PENDING", "the backend no longer knows the task");

    const second = await startAgent(args);
    const h = await eventually(async () => {
      const r = (await second.get<any>("/api/v1/health")).body;
      return r.backfill.state === "done" ? r : null;
    });
    assert.equal(h.backfill.loaded, 0, "nothing left in the backend");
    assert.equal(h.tasks_held, 0, "the new run holds nothing in memory");
    assert.equal(h.history.state, "on");
    // Pages of 8 from the history, one cursor: every task once.
    const listed = await listAllTasks(second, "", 8);
    assert.equal(listed.tasks.length, 21);
    assert.equal(listed.total, 21);
    const byId = new Map(listed.tasks.map((t) => [t.id, t]));
    for (const [i, id] of ids.entries()) {
      const t = byId.get(id);
      assert.equal(t?.state, "SUCCESS", id);
      assert.equal(t?.name, "panel_fixture.add");
      assert.equal(t?.result, String(i + 100));
      assert.equal(typeof t?.runtime, "number");
    }
    assert.match(listed.sources[0]!, /task history .*\.sqlite/);
    const failed = await listAllTasks(second, "&state=FAILURE");
    assert.deepEqual(
      failed.tasks.map((t) => t.id),
      [failedId],
    );
    const detail = (await second.get<any>(`/api/v1/tasks/${failedId}`)).body;
    assert.equal(detail.state, "FAILURE");
    assert.match(detail.traceback, /ValueError: kept-in-history/);
    assert.equal(detail.worker, "hw@panel");
    const steps = detail.timeline.map((s: any) => s.type);
    for (const step of ["task-received", "task-started", "task-failed"]) assert.ok(steps.includes(step), `${step} in ${steps}`);
    assert.match(detail.source, /task history/);
    const overview = (await second.get<any>("/api/v1/overview")).body;
    assert.equal(overview.tasks.last_hour.SUCCESS, 20, "the overview counts the earlier run's tasks");
    await redis.destroy();
  });

  it("after a SIGKILL during steady ingest the file opens and holds everything written before the kill's last flush", async () => {
    const redis = await RedisServer.start();
    const dir = dataDir();
    await CeleryWorker.start({ name: "kw@panel", pool: "threads", concurrency: 8, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--data-dir", dir]);
    // A producer that keeps sending while the agent is killed.
    const producer = runPython(
      `import panel_fixture as p, time
for i in range(1500):
    p.add.delay(i, 1)
    if i % 20 == 0: time.sleep(0.02)`,
      redis.url(0),
      redis.url(1),
      {},
      240_000,
    );
    await eventually(async () => (await agent.get<any>("/api/v1/tasks?state=SUCCESS&limit=1")).body.total >= 200, 60_000, "ingest under way");
    const known = new Map((await listAllTasks(agent)).tasks.map((t) => [t.id, t.state]));
    // A flush that began after the listing: everything listed was changed before it.
    const flushes = (await historyHealth(agent)).flushes;
    await eventually(async () => (await historyHealth(agent)).flushes > flushes, 10_000, "a flush after the listing");
    await agent.stop("SIGKILL");
    await producer;

    const db = new BetterSqlite3(historyFile(dir), { readonly: true });
    try {
      assert.equal((db.pragma("integrity_check") as { integrity_check: string }[])[0]!.integrity_check, "ok");
      const rows = new Map((db.prepare("SELECT id, state FROM tasks").all() as { id: string; state: number }[]).map((r) => [r.id, r.state]));
      const missing = [...known.keys()].filter((id) => !rows.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${known.size} listed tasks missing`);
      // SUCCESS is final: a task listed finished is stored finished (state code 3: TASK_STATES' SUCCESS).
      const regressed = [...known].filter(([id, state]) => state === "SUCCESS" && rows.get(id) !== 3);
      assert.deepEqual(regressed, []);
      assert.ok(rows.size >= known.size);
    } finally {
      db.close();
    }
    // And the next run lists them.
    const next = await startAgent(["--broker", redis.url(0), "--data-dir", dir]);
    assert.ok((await listAllTasks(next, "&state=SUCCESS")).total >= [...known.values()].filter((s) => s === "SUCCESS").length);
    await redis.destroy();
  });

  it("retention by rows keeps the newest and by age drops the older tasks, nothing else", async () => {
    const redis = await RedisServer.start();
    await CeleryWorker.start({ name: "rw@panel", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const send = async (n: number, tag: string) =>
      (
        await runPython(
          `import panel_fixture as p
ids = []
for i in range(${n}):
    r = p.report.delay("${tag}-%d" % i)
    r.get(timeout=30)
    ids.append(r.id)
print(",".join(ids))`,
          redis.url(0),
          redis.url(1),
        )
      )
        .trim()
        .split(",");
    const stored = (dir: string) => {
      const db = new BetterSqlite3(historyFile(dir), { readonly: true });
      try {
        return (db.prepare("SELECT id FROM tasks ORDER BY recv").all() as { id: string }[]).map((r) => r.id);
      } finally {
        db.close();
      }
    };

    // By rows: 12 tasks one after another, at most 5 kept: the last 5.
    const byRows = dataDir();
    const a = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--data-dir", byRows, "--retain-max-rows", "5"]);
    const ids = await send(12, "rows");
    await eventually(async () => (await listAllTasks(a)).tasks.filter((t) => t.state === "SUCCESS").length === 12, 20_000, "12 tasks seen");
    await eventually(async () => {
      const h = await historyHealth(a);
      return h.tasks === 5 && h.pending === 0 ? h : null;
    }, 20_000);
    await a.stop();
    assert.deepEqual(stored(byRows), ids.slice(-5));

    // By age: tasks older than 15 s go (those above too: the backfill writes them again), the later ones stay.
    const byAge = dataDir();
    const b = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--data-dir", byAge, "--retain", "15s"]);
    const older = await send(4, "older");
    await eventually(
      async () => {
        const h = await historyHealth(b);
        return h.tasks >= 4 && h.pending === 0;
      },
      10_000,
      "the older tasks stored",
    );
    await letTimePass(16_000, "the older tasks' age past --retain");
    const newer = await send(4, "newer");
    await eventually(async () => {
      const h = await historyHealth(b);
      return h.tasks === 4 && h.retained_deleted >= 4 ? h : null;
    }, 15_000);
    await b.stop();
    assert.deepEqual(stored(byAge), newer);
    assert.equal(
      older.some((id) => stored(byAge).includes(id)),
      false,
    );
    await redis.destroy();
  });

  it("--no-history writes no file; an unusable data directory is reported while the live views work", async () => {
    const redis = await RedisServer.start();
    await CeleryWorker.start({ name: "nw@panel", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const off = dataDir();
    const blocker = join(dataDir(), "a-file");
    writeFileSync(blocker, "not a directory");
    const none = await startAgent(["--broker", redis.url(0), "--data-dir", off, "--no-history"]);
    const broken = await startAgent(["--broker", redis.url(0), "--data-dir", join(blocker, "history")]);
    const id = (await runPython(`import panel_fixture as p\nr = p.add.delay(2, 2)\nr.get(timeout=30)\nprint(r.id)`, redis.url(0), redis.url(1))).trim();
    for (const agent of [none, broken]) {
      await eventually(async () => (await agent.get<any>(`/api/v1/tasks/${id}`)).body.state === "SUCCESS", 15_000, "the task served live");
    }
    const offHealth = await historyHealth(none);
    assert.equal(offHealth.state, "off");
    const brokenHealth = await historyHealth(broken);
    assert.equal(brokenHealth.state, "failed");
    assert.match(brokenHealth.error, /a-file\/history/);
    assert.match(brokenHealth.error, /ENOTDIR|not a directory/i);
    await none.stop();
    await broken.stop();
    assert.deepEqual(readdirSync(off), [], "--no-history wrote nothing");
    assert.equal(existsSync(join(blocker, "history")), false);
    await redis.destroy();
  });
});
