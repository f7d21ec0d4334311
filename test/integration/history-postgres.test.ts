/**
 * The task history in PostgreSQL (--history postgres://…) against real workers and a private
 * PostgreSQL 15 cluster: tasks outlive the agent and are found by substring through the trigram
 * index; two agents on one deployment and one database store each task once (the fuller record
 * kept); retention drops whole old day partitions and nothing else; the server stopped while the
 * agent runs is reported (password masked), the live views go on, and what was pending is written
 * once it is back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, eventually, letTimePass, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { PostgresCluster } from "../harness/django";
import { listAllTasks } from "../harness/task-list";

let pg: PostgresCluster;
let databases = 0;
before(async () => {
  pg = await PostgresCluster.start();
});
after(async () => {
  await stopAll();
  await pg?.destroy();
});

/** A fresh database of the cluster (owned by the login role), as a --history URL. */
function freshDatabase(): { url: string; sql: (q: string) => string } {
  const name = `history_${++databases}`;
  pg.psql(`CREATE DATABASE ${name} OWNER ${pg.user}`, "postgres");
  return { url: pg.url().replace(/\/[^/]+$/, `/${name}`), sql: (q) => pg.psql(q, name).trim() };
}

const historyHealth = async (agent: AgentProcess) => (await agent.get<any>("/api/v1/health")).body.history;
/** Everything the agent changed is written: no id pending, and a flush begun after the ask ended. */
async function settled(agent: AgentProcess): Promise<void> {
  const flushes = (await historyHealth(agent)).flushes;
  await eventually(
    async () => {
      const h = await historyHealth(agent);
      return h.state === "on" && h.pending === 0 && h.flushes > flushes;
    },
    20_000,
    "the history written",
  );
}

const idsOf = (out: string) => out.trim().split("\n").at(-1)!.split(",");

describe("task history in PostgreSQL", { concurrency: false }, () => {
  it("keeps real workers' tasks across an agent restart, lists, opens and finds them by substring (trigram index)", async () => {
    const redis = await RedisServer.start();
    const db = freshDatabase();
    await CeleryWorker.start({ name: "pw@panel", pool: "prefork", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const first = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--history", db.url]);
    const h = await eventually(async () => ((await historyHealth(first)).state === "on" ? historyHealth(first) : null), 20_000, "history on");
    assert.equal(h.backend, "postgres");
    assert.equal(h.notice, null, "pg_trgm available: no scan notice");
    assert.doesNotMatch(h.path, new RegExp(pg.password));
    const out = await runPython(
      `import panel_fixture as p
rs = [p.add.delay(i, 100) for i in range(12)]
f = p.fail.delay("kept-in-postgres")
n = p.report.delay("needle-Xyzzy-quarterly")
[r.get(timeout=30) for r in rs + [n]]
f.get(timeout=30, propagate=False)
print(",".join([f.id, n.id] + [r.id for r in rs]))`,
      redis.url(0),
      redis.url(1),
    );
    const [failedId, needleId, ...addIds] = idsOf(out);
    await eventually(
      async () => (await listAllTasks(first)).tasks.filter((t) => t.state === "SUCCESS" || t.state === "FAILURE").length === 14,
      20_000,
      "14 finished",
    );
    await settled(first);
    await first.stop();
    assert.doesNotMatch(first.output(), new RegExp(pg.password), "no password in the log");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks"), "14");

    // Another deployment's broker now (no workers, no result backend): only the history knows these tasks.
    const elsewhere = await RedisServer.start();
    const second = await startAgent(["--broker", elsewhere.url(0), "--history", db.url]);
    await eventually(async () => (await historyHealth(second)).state === "on", 20_000, "history on again");
    const listed = await listAllTasks(second, "", 5);
    assert.equal(listed.tasks.length, 14);
    assert.equal(listed.total, 14);
    assert.equal(new Set(listed.tasks.map((t) => t.id)).size, 14);
    assert.match(listed.sources[0]!, /task history postgres:\/\/.*127\.0\.0\.1/);
    assert.doesNotMatch(listed.sources.join(" "), new RegExp(pg.password));
    for (const [i, id] of addIds.entries()) assert.equal(listed.tasks.find((t) => t.id === id)?.result, String(i + 100), id);
    assert.deepEqual(
      (await listAllTasks(second, "&state=FAILURE")).tasks.map((t) => t.id),
      [failedId],
    );
    const detail = (await second.get<any>(`/api/v1/tasks/${failedId}`)).body;
    assert.equal(detail.state, "FAILURE");
    assert.match(detail.traceback, /ValueError: kept-in-postgres/);
    assert.equal(detail.worker, "pw@panel");
    const steps = detail.timeline.map((s: any) => s.type);
    for (const step of ["task-received", "task-started", "task-failed"]) assert.ok(steps.includes(step), `${step} in ${steps}`);
    // Search: by a piece of the arguments (the body), case-insensitively, and by a piece of a name.
    assert.deepEqual(
      (await listAllTasks(second, "&q=xYZZy-quart")).tasks.map((t) => t.id),
      [needleId],
    );
    assert.equal((await listAllTasks(second, "&q=fixture.ad")).total, 12);
    // The trigram index exists and serves the search (the planner told not to scan).
    assert.match(
      db.sql("SELECT string_agg(indexname, ',') FROM pg_indexes WHERE schemaname = 'celery_panel' AND indexname LIKE 'tasks_search%'"),
      /tasks_search/,
    );
    const plan = db.sql(
      "SET enable_seqscan = off; EXPLAIN SELECT id FROM celery_panel.tasks WHERE lower(id || E'\\x01' || coalesce(name, '') || E'\\x01' || body) LIKE '%xyzzy-quart%'",
    );
    assert.match(plan, /Bitmap Index Scan on tasks_p\d+_lower_idx/, plan);
    await second.stop();
    await elsewhere.destroy();
    await redis.destroy();
  });

  it("a role that may not create pg_trgm: the history works in a schema made for it, search scans, health says so", async () => {
    const redis = await RedisServer.start();
    // A database the role does not own (no CREATE on it), its schema made for the role by the superuser.
    pg.psql("CREATE ROLE limited_agent LOGIN PASSWORD 'Lim1ted-Secret'", "postgres");
    pg.psql("CREATE DATABASE history_limited", "postgres");
    pg.psql("CREATE SCHEMA celery_panel AUTHORIZATION limited_agent", "history_limited");
    const url = `postgres://limited_agent:Lim1ted-Secret@127.0.0.1:${pg.port}/history_limited`;
    await CeleryWorker.start({ name: "lw@panel", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--history", url]);
    const h = await eventually(
      async () => {
        const r = await historyHealth(agent);
        return r.state === "on" && r.notice ? r : null;
      },
      20_000,
      "history on, with a notice",
    );
    assert.match(h.notice, /substring search scans the table: pg_trgm could not be created \(.*permission denied/);
    assert.doesNotMatch(h.notice, /Lim1ted-Secret/);
    assert.match(agent.output(), /WARN task history: substring search scans the table/);
    const [id] = idsOf(
      await runPython(`import panel_fixture as p\nr = p.report.delay("scan-Needle-42")\nr.get(timeout=30)\nprint(r.id)`, redis.url(0), redis.url(1)),
    );
    await settled(agent);
    await agent.stop();
    const again = await startAgent(["--broker", (await RedisServer.start()).url(0), "--history", url]);
    await eventually(async () => (await historyHealth(again)).state === "on", 20_000, "history on again");
    assert.deepEqual(
      (await listAllTasks(again, "&q=needle-42")).tasks.map((t) => t.id),
      [id],
    );
    assert.equal(pg.psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'", "history_limited").trim(), "0");
    await again.stop();
    await redis.destroy();
  });

  it("two agents on one deployment and one database store every task once, the fuller record kept", async () => {
    const redis = await RedisServer.start();
    const db = freshDatabase();
    await CeleryWorker.start({ name: "dw@panel", pool: "threads", concurrency: 4, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const args = ["--broker", redis.url(0), "--result-backend", redis.url(1), "--history", db.url];
    const a = await startAgent(args);
    await eventually(async () => (await historyHealth(a)).state === "on", 20_000, "history on");
    const ids = idsOf(
      await runPython(
        `import panel_fixture as p
rs = [p.add.delay(i, 1) for i in range(40)]
[r.get(timeout=30) for r in rs]
print(",".join(r.id for r in rs))`,
        redis.url(0),
        redis.url(1),
      ),
    );
    await eventually(async () => (await listAllTasks(a, "&state=SUCCESS")).total === 40, 20_000, "agent A saw 40");
    // B starts late: it knows the tasks from the result backend only, under other received times.
    const b = await startAgent(args);
    await eventually(async () => (await b.get<any>("/api/v1/health")).body.backfill.state === "done", 20_000, "B's backfill");
    await eventually(async () => (await b.get<any>(`/api/v1/tasks/${ids[0]}`)).body.state === "SUCCESS", 20_000, "B knows the tasks");
    await settled(a);
    await settled(b);
    // Both write again what they hold (a second pass over the same ids by both).
    const more = idsOf(await runPython(`import panel_fixture as p\nr = p.add.delay(5, 5)\nr.get(timeout=30)\nprint(r.id)`, redis.url(0), redis.url(1)));
    await eventually(async () => (await b.get<any>(`/api/v1/tasks/${more[0]}`)).body.state === "SUCCESS", 20_000, "B saw the last task");
    await settled(a);
    await settled(b);
    assert.equal(db.sql("SELECT count(*) || '/' || count(DISTINCT id) FROM celery_panel.tasks"), "41/41");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.task_keys"), "41");
    // A's records (the events' timeline: received, started, succeeded) were not replaced by B's backend-only ones.
    assert.equal(db.sql(`SELECT count(*) FROM celery_panel.tasks WHERE id IN (${ids.map((i) => `'${i}'`).join(",")}) AND steps >= 3`), "40");
    const detail = (await b.get<any>(`/api/v1/tasks/${ids[3]}`)).body;
    assert.equal(detail.state, "SUCCESS");
    await a.stop();
    await b.stop();
    await redis.destroy();
  });

  it("retention by age drops whole day partitions past --retain, and nothing newer; by rows keeps the newest", async () => {
    const redis = await RedisServer.start();
    const db = freshDatabase();
    await CeleryWorker.start({ name: "tw@panel", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--history", db.url, "--retain", "2d"]);
    await eventually(async () => (await historyHealth(agent)).state === "on", 20_000, "history on");
    const live = idsOf(
      await runPython(
        `import panel_fixture as p\nrs = [p.add.delay(i, 2) for i in range(3)]\n[r.get(timeout=30) for r in rs]\nprint(",".join(r.id for r in rs))`,
        redis.url(0),
        redis.url(1),
      ),
    );
    await settled(agent);
    // Rows 5 and 4 days old (past --retain) and 1 day old (kept), each in its own day partition.
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    const old = [5, 4, 1].map((d) => ({ d, day: today - d * day, name: `tasks_p${new Date(today - d * day).toISOString().slice(0, 10).replace(/-/g, "")}` }));
    // As the agent's role: it owns what it drops.
    for (const o of old) {
      db.sql(`SET ROLE ${pg.user}; CREATE TABLE celery_panel.${o.name} PARTITION OF celery_panel.tasks FOR VALUES FROM (${o.day}) TO (${o.day + day})`);
      db.sql(
        `SET ROLE ${pg.user}; INSERT INTO celery_panel.tasks (id, part, recv, state, prio, steps, state_at, name, body)
         SELECT 'old-${o.d}-' || i, ${o.day} + i * 1000, ${o.day} + i * 1000, 3, 100, 3, ${o.day} + i * 1000, 'app.old', '{}' FROM generate_series(1, 25) i;
         INSERT INTO celery_panel.task_keys SELECT id, part FROM celery_panel.tasks WHERE id LIKE 'old-${o.d}-%'`,
      );
    }
    const partitions = () =>
      db
        .sql(
          "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'celery_panel.tasks'::regclass",
        )
        .split(",");
    assert.equal(partitions().length, 5, partitions().join());
    await eventually(async () => (await historyHealth(agent)).retained_deleted >= 50, 30_000, "the old partitions dropped");
    assert.deepEqual(partitions(), [old[2]!.name, ...partitions().filter((p) => p > old[2]!.name)]);
    assert.equal(partitions().includes(old[0]!.name) || partitions().includes(old[1]!.name), false);
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks WHERE id LIKE 'old-1-%'"), "25", "yesterday's rows kept");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.task_keys WHERE id LIKE 'old-5-%' OR id LIKE 'old-4-%'"), "0", "their keys gone too");
    assert.equal(db.sql(`SELECT count(*) FROM celery_panel.tasks WHERE id IN (${live.map((i) => `'${i}'`).join(",")})`), "3", "today's tasks kept");
    assert.equal((await historyHealth(agent)).retained_deleted, 50);
    await agent.stop();
    // By rows: 28 left (25 of yesterday, today's 3), at most 10 kept: today's and the newest 7 of yesterday.
    const capped = await startAgent(["--broker", redis.url(0), "--history", db.url, "--retain", "2d", "--retain-max-rows", "10"]);
    await eventually(async () => (await historyHealth(capped)).retained_deleted >= 18, 30_000, "the oldest beyond 10 deleted");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks"), "10");
    assert.equal(db.sql(`SELECT count(*) FROM celery_panel.tasks WHERE id IN (${live.map((i) => `'${i}'`).join(",")})`), "3");
    assert.equal(
      db.sql("SELECT string_agg(id, ',' ORDER BY part) FROM celery_panel.tasks WHERE id LIKE 'old-1-%'"),
      [19, 20, 21, 22, 23, 24, 25].map((i) => `old-1-${i}`).join(","),
    );
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.task_keys"), "10", "the deleted tasks' keys gone too");
    await capped.stop();
    await redis.destroy();
  });

  it("--retain-failures: past --retain the others go, failures stay until their own age, their day partition kept", async () => {
    const redis = await RedisServer.start();
    const db = freshDatabase();
    const agent = await startAgent(["--broker", redis.url(0), "--history", db.url, "--retain", "2d", "--retain-failures", "7d"]);
    // Health says on while the first connection is made: the schema is there once the table is.
    await eventually(async () => (db.sql("SELECT to_regclass('celery_panel.tasks') IS NOT NULL") === "t" ? true : null), 20_000, "the history's tables made");
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    // 5 and 9 days old, each day 10 successes (state 3) and 10 failures (state 4).
    for (const d of [5, 9]) {
      const from = today - d * day;
      const name = `tasks_p${new Date(from).toISOString().slice(0, 10).replace(/-/g, "")}`;
      db.sql(`SET ROLE ${pg.user}; CREATE TABLE celery_panel.${name} PARTITION OF celery_panel.tasks FOR VALUES FROM (${from}) TO (${from + day})`);
      db.sql(
        `SET ROLE ${pg.user}; INSERT INTO celery_panel.tasks (id, part, recv, state, prio, steps, state_at, name, body)
         SELECT 'd${d}-' || CASE WHEN i % 2 = 0 THEN 'ok-' ELSE 'failed-' END || i, ${from} + i * 1000, ${from} + i * 1000, CASE WHEN i % 2 = 0 THEN 3 ELSE 4 END, 100, 3, ${from} + i * 1000, 'app.old', '{}'
         FROM generate_series(1, 20) i;
         INSERT INTO celery_panel.task_keys SELECT id, part FROM celery_panel.tasks WHERE id LIKE 'd${d}-%'`,
      );
    }
    // The 9-day-old partition goes whole; of the 5-day-old one, the successes.
    await eventually(async () => (await historyHealth(agent)).retained_deleted >= 30, 30_000, "retention applied");
    await letTimePass(1500, "another retention pass");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks WHERE id LIKE 'd9-%'"), "0", "past --retain-failures: all gone");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks WHERE id LIKE 'd5-ok-%'"), "0", "successes past --retain gone");
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks WHERE id LIKE 'd5-failed-%'"), "10", "failures within --retain-failures kept");
    await agent.stop();
    await redis.destroy();
  });

  it("PostgreSQL stopped while the agent runs: health says failed (masked), tasks are served live; back: the pending tasks are written", async () => {
    const redis = await RedisServer.start();
    const db = freshDatabase();
    await CeleryWorker.start({ name: "sw@panel", pool: "threads", concurrency: 4, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--history", db.url]);
    await eventually(async () => (await historyHealth(agent)).state === "on", 20_000, "history on");
    const send = async (n: number) =>
      idsOf(
        await runPython(
          `import panel_fixture as p\nrs = [p.add.delay(i, 3) for i in range(${n})]\n[r.get(timeout=30) for r in rs]\nprint(",".join(r.id for r in rs))`,
          redis.url(0),
          redis.url(1),
        ),
      );
    const before = await send(5);
    await eventually(async () => (await listAllTasks(agent, "&state=SUCCESS")).total === 5, 20_000, "5 seen");
    await settled(agent);
    await pg.stop();
    try {
      const during = await send(7);
      const failed = await eventually(
        async () => {
          const h = await historyHealth(agent);
          return h.state === "failed" && h.pending > 0 ? h : null;
        },
        30_000,
        "health says failed",
      );
      assert.match(failed.error, /127\.0\.0\.1/);
      assert.doesNotMatch(failed.error, new RegExp(pg.password));
      assert.doesNotMatch(agent.output(), new RegExp(pg.password));
      const listed = await eventually(
        async () => {
          const l = await listAllTasks(agent, "&state=SUCCESS");
          return l.tasks.length === 12 ? l : null;
        },
        20_000,
        "the live tasks listed while the database is down",
      );
      assert.deepEqual(new Set(listed.tasks.map((t) => t.id)), new Set([...before, ...during]));
      assert.equal((await agent.get<any>(`/api/v1/tasks/${during[0]}`)).body.state, "SUCCESS");
    } finally {
      await pg.run();
    }
    await eventually(
      async () => {
        const h = await historyHealth(agent);
        return h.state === "on" && h.pending === 0;
      },
      30_000,
      "writes resumed",
    );
    assert.equal(db.sql("SELECT count(*) FROM celery_panel.tasks WHERE state = 3"), "12");
    await agent.stop();
    await redis.destroy();
  });
});
