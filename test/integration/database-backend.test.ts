/**
 * Celery's database result backend (db+sqlite://, db+postgresql://) read by the agent, against real
 * workers that write it: tasks that ran before the agent started are backfilled from
 * celery_taskmeta, a task finishing while the agent runs shows up finished though the workers send
 * no events, with and without result_extended, and the agent never writes to the database.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CeleryWorker, eventually, letTimePass, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { PostgresCluster } from "../harness/django";
import { scratchDirs } from "../harness/task-list";

const tempDir = scratchDirs("celery-panel-taskmeta-it-");
after(() => stopAll());

/** The fixture app sends task events and sets result_extended: every worker here sends none, the plain case stores no extras. */
const NO_EVENTS = { worker_send_task_events: false, task_send_sent_event: false };
const settings = (extra: Record<string, unknown>) => JSON.stringify({ ...NO_EVENTS, ...extra });
const EXTENDED = settings({ result_extended: true });
const PLAIN = settings({ result_extended: false });

/** Sends add(a, b) and fail(message), waits for both; returns their ids. */
async function runTasks(
  broker: string,
  backend: string,
  a: number,
  b: number,
  message: string,
  env: Record<string, string>,
): Promise<{ add: string; fail: string }> {
  const out = await runPython(
    `import panel_fixture as p
r = p.add.delay(${a}, ${b})
f = p.fail.delay(${JSON.stringify(message)})
assert r.get(timeout=30) == ${a + b}
f.get(timeout=30, propagate=False)
print(r.id, f.id)`,
    broker,
    backend,
    env,
  );
  const [add, fail] = out.trim().split(" ");
  return { add: add!, fail: fail! };
}

const task = async (agent: AgentProcess, id: string) => (await agent.get<any>(`/api/v1/tasks/${id}`)).body;

async function backfilled(agent: AgentProcess): Promise<any> {
  return eventually(
    async () => {
      const h = (await agent.get<any>("/api/v1/health")).body;
      return h.backfill.state === "done" ? h : null;
    },
    20_000,
    "backfill done",
  );
}

/** The same checks on either database: backfill, live without events, the source line. */
async function checkAgainst(o: { broker: string; backend: string; agentBackend: string | null; extended: boolean; workerEnv: Record<string, string> }) {
  const before = await runTasks(o.broker, o.backend, 2, 3, "before-agent", o.workerEnv);
  const agent = await startAgent(["--broker", o.broker, ...(o.agentBackend ? ["--result-backend", o.agentBackend] : [])]);
  const h = await backfilled(agent);
  assert.equal(h.result_backend.state, "connected");
  assert.equal(h.backfill.loaded, 2, "both rows read from celery_taskmeta");

  const ok = await task(agent, before.add);
  assert.equal(ok.state, "SUCCESS");
  assert.deepEqual(ok.result_value, { format: "json", value: 5 }, "the pickled result decoded (plain data)");
  assert.deepEqual(ok.sources, ["result_backend"], "no events: the workers run without -E");
  const failed = await task(agent, before.fail);
  assert.equal(failed.state, "FAILURE");
  assert.match(failed.traceback, /ValueError: before-agent/);
  assert.equal(failed.exception, "ValueError('before-agent')");
  if (o.extended) {
    assert.equal(ok.name, "panel_fixture.add");
    assert.deepEqual(ok.args_value, { format: "json", value: [2, 3] });
    assert.match(ok.worker, /^dbw@/);
  } else {
    assert.equal(ok.name, null, "the table has no name without result_extended");
  }

  // Finished while the agent runs: found by the poll, not by events.
  const during = await runTasks(o.broker, o.backend, 20, 22, "during-agent", o.workerEnv);
  const live = await eventually(
    async () => {
      const t = await task(agent, during.add);
      return t.state === "SUCCESS" ? t : null;
    },
    10_000,
    "the task finished while the agent ran shows finished",
  );
  assert.deepEqual(live.result_value, { format: "json", value: 42 });
  assert.deepEqual(live.sources, ["result_backend"], "found by the poll: no events");
  // The failed one may come a poll later (each second) than the one waited for above.
  const want = [before.add, before.fail, during.add, during.fail].sort();
  const list = await eventually(
    async () => {
      const body = (await agent.get<any>("/api/v1/tasks?limit=50")).body;
      return want.every((id) => body.tasks.some((t: any) => t.id === id)) ? body : null;
    },
    10_000,
    "the four tasks listed",
  );
  assert.match(list.source, /^Celery database backend \(celery_taskmeta\) on db\+/);
  assert.ok(!list.source.includes("pg-Secret-42"), "the password is masked in the source line");
  assert.deepEqual(list.tasks.map((t: any) => t.id).sort(), want);
  return agent;
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("Celery's database result backend", { concurrency: false }, () => {
  it("db+sqlite with result_extended: backfill, live without events, never a write", async () => {
    const redis = await RedisServer.start();
    const dir = tempDir();
    const backend = `db+sqlite:///${join(dir, "results.db")}`;
    // task_track_started: a row written at the start, updated in place at the end (the poll re-reads unfinished rows).
    const workerEnv = { FIXTURE_EXTRA_SETTINGS: settings({ result_extended: true, task_track_started: true }) };
    await CeleryWorker.start({ name: "dbw@sqlite", pool: "solo", queues: ["celery"], events: false, broker: redis.url(0), backend, env: workerEnv });
    try {
      const agent = await checkAgainst({ broker: redis.url(0), backend, agentBackend: backend, extended: true, workerEnv });
      const slow = (await runPython("import panel_fixture as p\nprint(p.sleep_for.delay(2).id)", redis.url(0), backend, workerEnv)).trim();
      await eventually(async () => (await task(agent, slow)).state === "STARTED", 10_000, "the STARTED row seen");
      await eventually(async () => (await task(agent, slow)).state === "SUCCESS", 10_000, "the same row, updated to SUCCESS, seen");
      // The worker is idle now: whatever changes the file from here on would be the agent's.
      const files = readdirSync(dir).sort();
      const hash = sha(join(dir, "results.db"));
      await letTimePass(3000, "three polls of the agent");
      assert.deepEqual(readdirSync(dir).sort(), files, "no journal or WAL file created");
      assert.equal(sha(join(dir, "results.db")), hash, "the database file's bytes are unchanged");
      await agent.stop();
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });

  it("db+sqlite without result_extended, discovered from the workers' conf", async () => {
    const redis = await RedisServer.start();
    const dir = tempDir();
    const backend = `db+sqlite:///${join(dir, "plain.db")}`;
    const workerEnv = { FIXTURE_EXTRA_SETTINGS: PLAIN };
    await CeleryWorker.start({ name: "dbw@plain", pool: "solo", queues: ["celery"], events: false, broker: redis.url(0), backend, env: workerEnv });
    try {
      const agent = await checkAgainst({ broker: redis.url(0), backend, agentBackend: null, extended: false, workerEnv });
      const config = (await agent.get<any>("/api/v1/config")).body;
      assert.match(JSON.stringify(config), /the workers' result_backend/);
      await agent.stop();
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });

  it("table names from the workers' conf (database_table_names), the URL given by option", async () => {
    const redis = await RedisServer.start();
    const dir = tempDir();
    const backend = `db+sqlite:///${join(dir, "named.db")}`;
    const workerEnv = {
      FIXTURE_EXTRA_SETTINGS: settings({ result_extended: true, database_table_names: { task: "panel_taskmeta", group: "panel_groupmeta" } }),
    };
    await CeleryWorker.start({ name: "dbw@named", pool: "solo", queues: ["celery"], events: false, broker: redis.url(0), backend, env: workerEnv });
    try {
      const ids = await runTasks(redis.url(0), backend, 4, 5, "named-table", workerEnv);
      const agent = await startAgent(["--broker", redis.url(0), "--result-backend", backend]);
      const t = await eventually(
        async () => {
          const r = await task(agent, ids.add);
          return r.state === "SUCCESS" ? r : null;
        },
        15_000,
        "the task read from panel_taskmeta",
      );
      assert.deepEqual(t.result_value, { format: "json", value: 9 });
      const list = (await agent.get<any>("/api/v1/tasks?limit=50")).body;
      assert.match(list.source, /^Celery database backend \(panel_taskmeta\) on db\+sqlite/);
      assert.deepEqual(list.tasks.map((x: any) => x.id).sort(), [ids.add, ids.fail].sort());
      await agent.stop();
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });

  it("db+postgresql: the same, and the table's write counters do not move", async () => {
    const redis = await RedisServer.start();
    const pg = await PostgresCluster.start();
    const backend = `db+${pg.url().replace(/^postgres:/, "postgresql:")}`;
    const workerEnv = { FIXTURE_EXTRA_SETTINGS: EXTENDED };
    await CeleryWorker.start({ name: "dbw@pg", pool: "solo", queues: ["celery"], events: false, broker: redis.url(0), backend, env: workerEnv });
    try {
      const agent = await checkAgainst({ broker: redis.url(0), backend, agentBackend: backend, extended: true, workerEnv });
      const writes = () =>
        pg.psql("SELECT pg_stat_force_next_flush(); SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relname = 'celery_taskmeta'");
      const before = writes();
      await letTimePass(3000, "three polls of the agent");
      assert.equal(writes(), before, "no row written, updated or deleted while only the agent ran");
      const sessions = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'celery-panel-agent'");
      assert.ok(Number(sessions) >= 1, "the agent's sessions are the ones polling");

      // Two workers' results committed in the other order than their ids: the lower id shows up
      // after the agent has read past it. Written as Celery writes them, by a client of the test's.
      const { default: pgLib } = await import("pg");
      const first = new pgLib.Client({ connectionString: pg.url() });
      const second = new pgLib.Client({ connectionString: pg.url() });
      await Promise.all([first.connect(), second.connect()]);
      try {
        const insert = "INSERT INTO celery_taskmeta (id, task_id, status, date_done) VALUES (nextval('task_id_sequence'), $1, 'SUCCESS', now()) RETURNING id";
        const [slow, quick] = ["0f0f0f0f-0000-4000-8000-00000000000a", "0f0f0f0f-0000-4000-8000-00000000000b"];
        await first.query("BEGIN");
        const slowId = Number((await first.query(insert, [slow])).rows[0].id);
        const quickId = Number((await second.query(insert, [quick])).rows[0].id);
        assert.ok(slowId < quickId);
        // Listed (not asked for by id: that would read the row directly, whatever the poll missed).
        const listed = async (id: string) => ((await agent.get<any>("/api/v1/tasks?limit=100")).body.tasks.some((t: any) => t.id === id) ? true : null);
        await eventually(() => listed(quick), 10_000, "the later id seen");
        await letTimePass(1500, "a poll past the open transaction's id");
        await first.query("COMMIT");
        await eventually(() => listed(slow), 10_000, "the row committed late, below the last id read, is seen");
      } finally {
        await Promise.all([first.end(), second.end()]);
      }
      await agent.stop();
    } finally {
      await stopAll();
      await redis.destroy();
      await pg.destroy();
    }
  });

  it("the durable history is backfilled at its first start, beyond --max-tasks, and not again at the next", async () => {
    const redis = await RedisServer.start();
    const dir = tempDir();
    const dataDir = tempDir();
    const backend = `db+sqlite:///${join(dir, "results.db")}`;
    const workerEnv = { FIXTURE_EXTRA_SETTINGS: EXTENDED };
    await CeleryWorker.start({ name: "dbw@history", pool: "solo", queues: ["celery"], events: false, broker: redis.url(0), backend, env: workerEnv });
    const send = (n: number) =>
      runPython(
        `import panel_fixture as p\nrs = [p.add.delay(i, 1000) for i in range(${n})]\n[r.get(timeout=60) for r in rs]`,
        redis.url(0),
        backend,
        workerEnv,
        120_000,
      );
    const args = ["--broker", redis.url(0), "--result-backend", backend, "--data-dir", dataDir, "--max-tasks", "100"];
    const historyTasks = async (agent: AgentProcess, n: number) =>
      eventually(
        async () => {
          const h = (await agent.get<any>("/api/v1/health")).body;
          return h.history.tasks === n ? h : null;
        },
        15_000,
        `${n} tasks in the history`,
      );
    try {
      await send(150);
      const first = await startAgent(args);
      const h1 = await backfilled(first);
      assert.equal(h1.backfill.scanned, 150);
      assert.equal(h1.tasks_held, 100, "the store keeps --max-tasks");
      await historyTasks(first, 150);
      await first.stop();

      await send(1);
      const second = await startAgent(args);
      const h2 = await backfilled(second);
      assert.equal(h2.backfill.scanned, 1, "only the row stored since the last backfill is read");
      await historyTasks(second, 151);
      const list = (await second.get<any>("/api/v1/tasks?limit=500&state=SUCCESS")).body;
      assert.equal(list.total, 151);
      await second.stop();
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });

  it("a db+ URL with a bad path or host: health says so and the agent keeps serving", async () => {
    const redis = await RedisServer.start();
    try {
      const missing = `db+sqlite:///${join(tempDir(), "nowhere", "results.db")}`;
      const agent = await startAgent(["--broker", redis.url(0), "--result-backend", missing]);
      const h = await eventually(
        async () => {
          const b = (await agent.get<any>("/api/v1/health")).body;
          return b.result_backend.state === "unavailable" ? b : null;
        },
        10_000,
        "result backend unavailable",
      );
      assert.match(h.result_backend.error, /unable to open database file|does not exist/i);
      assert.equal((await agent.get<any>("/api/v1/tasks")).status, 200, "the tasks view is still served");
      await agent.stop();

      const badHost = await startAgent(["--broker", redis.url(0), "--result-backend", "db+postgresql://u:Hidden-pw-1@127.0.0.1:1/nodb"]);
      const h2 = await eventually(
        async () => {
          const b = (await badHost.get<any>("/api/v1/health")).body;
          return b.result_backend.state === "unavailable" ? b : null;
        },
        15_000,
        "result backend unavailable",
      );
      assert.match(h2.result_backend.error, /ECONNREFUSED|connect/i);
      assert.ok(!JSON.stringify(h2).includes("Hidden-pw-1"), "the password is masked");
      assert.equal((await badHost.get<any>("/api/v1/overview")).status, 200);
      await badHost.stop();
    } finally {
      await stopAll();
      await redis.destroy();
    }
  });
});
