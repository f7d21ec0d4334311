/**
 * The Django sources against the real thing: django-celery-results and django-celery-beat tables
 * migrated by Django onto a private PostgreSQL cluster and onto a SQLite file, filled by real Celery
 * workers (result_backend='django-db') and a real `celery beat` with the DatabaseScheduler. What the
 * agent's tasks, tasks/:id and periodic-tasks show must be exactly what the tables hold.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { EndpointName } from "../../agent/api/schema";
import { contractGet } from "../harness/contract";
import { parseDbUrl } from "../../agent/base/sql/db";
import { PostgresDb } from "../../agent/base/sql/postgres";
import { SqliteDb } from "../../agent/base/sql/sqlite";
import { eventually, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { DjangoCelery, migrate, PostgresCluster, runDjango } from "../harness/django";

interface DbRow {
  id: number;
  task_id: string;
  status: string;
  task_name: string | null;
  worker: string | null;
  periodic_task_name: string | null;
  task_args: string | null;
  task_kwargs: string | null;
  result: string | null;
  traceback: string | null;
  date_created: string;
  date_done: string;
}

interface BeatRow {
  name: string;
  task: string;
  enabled: boolean;
  one_off: boolean;
  total_run_count: number;
  last_run_at: string | null;
  kind: string;
  queue: string | null;
  priority: number | null;
  description: string;
  expires: string | null;
}

const SEED = `
import json
from datetime import datetime, timezone as tz
from django_celery_beat.models import IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule, PeriodicTask
every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="tick every second", task="djproj.tasks.tick", interval=every, kwargs=json.dumps({"label": "beat-marker"}), queue="celery")
cron = CrontabSchedule.objects.create(minute="30", hour="4", day_of_week="1", day_of_month="*", month_of_year="*", timezone="Europe/Paris")
PeriodicTask.objects.create(name="monday report", task="djproj.tasks.add", crontab=cron, args=json.dumps([1, 2]), description="weekly report")
solar = SolarSchedule.objects.create(event="sunset", latitude=48.8566, longitude=2.3522)
PeriodicTask.objects.create(name="at sunset", task="djproj.tasks.tick", solar=solar, enabled=False)
clocked = ClockedSchedule.objects.create(clocked_time=datetime(2031, 1, 2, 3, 4, 5, tzinfo=tz.utc))
PeriodicTask.objects.create(name="once in 2031", task="djproj.tasks.tick", clocked=clocked, one_off=True, expires=datetime(2031, 6, 1, tzinfo=tz.utc), priority=5, exchange="celery", routing_key="celery")
`;

const SEND = `
import json, time
from celery.result import AsyncResult
from djproj.tasks import add, fail
ids = {"add": [add.delay(i, 10).id for i in range(4)], "fail": [fail.delay("fail-marker-%d" % i).id for i in range(2)]}
ids["kw"] = add.apply_async((1,), {"y": 41}).id
from celery import group
g = group(add.s(100, 1), add.s(100, 2)).apply_async()
g.save()
ids["group"] = g.id
ids["members"] = [r.id for r in g.results]
for i in ids["add"] + ids["fail"] + [ids["kw"]] + ids["members"]:
    r = AsyncResult(i)
    deadline = time.time() + 60
    while not r.ready() and time.time() < deadline:
        time.sleep(0.2)
print(json.dumps(ids))
`;

const DUMP_TASKS = `
import json
from django_celery_results.models import TaskResult
print(json.dumps([dict(id=r.id, task_id=r.task_id, status=r.status, task_name=r.task_name, worker=r.worker, periodic_task_name=r.periodic_task_name,
  task_args=r.task_args, task_kwargs=r.task_kwargs, result=r.result, traceback=r.traceback,
  date_created=r.date_created.isoformat(), date_done=r.date_done.isoformat()) for r in TaskResult.objects.order_by("-date_created", "-id")]))
`;

const DUMP_BEAT = `
import json
from django_celery_beat.models import PeriodicTask
def kind(p):
    return "interval" if p.interval_id else "crontab" if p.crontab_id else "solar" if p.solar_id else "clocked" if p.clocked_id else "?"
print(json.dumps([dict(name=p.name, task=p.task, enabled=p.enabled, one_off=p.one_off, total_run_count=p.total_run_count,
  last_run_at=p.last_run_at.isoformat() if p.last_run_at else None, kind=kind(p), queue=p.queue, priority=p.priority,
  description=p.description, expires=p.expires.isoformat() if p.expires else None) for p in PeriodicTask.objects.order_by("name")]))
`;

/** Python's isoformat (microseconds, +00:00) as the API's ISO string (milliseconds, Z). */
const isoMs = (py: string) => new Date(Math.floor(Date.parse(py.replace(/(\.\d{3})\d*/, "$1")))).toISOString();

function djangoSuite(kind: "postgres" | "sqlite"): void {
  describe(`Django sources on ${kind}`, () => {
    let redis: RedisServer;
    let pg: PostgresCluster | null = null;
    let sqliteDir: string | null = null;
    let dbUrl: string;
    let agent: AgentProcess;
    let worker: DjangoCelery;
    let ids: { add: string[]; fail: string[]; kw: string; group: string; members: string[] };
    let rows: DbRow[];
    const python = (code: string) => runDjango(code, dbUrl, redis.url(0));

    const api = <T = any>(name: EndpointName, path: string, status = 200): Promise<T> => contractGet<T>(agent, name, path, status);

    before(async () => {
      redis = await RedisServer.start();
      if (kind === "postgres") {
        pg = await PostgresCluster.start();
        dbUrl = pg.url();
      } else {
        sqliteDir = mkdtempSync(join(tmpdir(), "celery-panel-sqlite-"));
        dbUrl = `sqlite://${join(sqliteDir, "db.sqlite3")}`;
      }
      migrate(dbUrl, redis.url(0));
      python(SEED);
      worker = await DjangoCelery.worker(dbUrl, redis.url(0), `django-${kind}@test`);
      const beat = await DjangoCelery.beat(dbUrl, redis.url(0));
      ids = JSON.parse(python(SEND).trim().split("\n").pop()!);
      await eventually(
        async () => (JSON.parse(python(DUMP_TASKS)) as DbRow[]).filter((r) => r.periodic_task_name === "tick every second").length >= 2,
        120_000,
        "beat sent the interval task twice",
      );
      // The DatabaseScheduler writes last_run_at and total_run_count back every few minutes and when it stops.
      await beat.stop();
      const tick = (JSON.parse(python(DUMP_BEAT)) as BeatRow[]).find((b) => b.name === "tick every second")!;
      assert.ok(tick.total_run_count >= 2 && tick.last_run_at, `beat wrote its runs back: ${JSON.stringify(tick)}`);
      // Every task beat sent has finished: the table no longer changes.
      rows = await eventually(
        async () => {
          const r = JSON.parse(python(DUMP_TASKS)) as DbRow[];
          return r.every((x) => x.status === "SUCCESS" || x.status === "FAILURE") ? r : null;
        },
        120_000,
        "every task finished",
      );
      agent = await startAgent(["--broker", redis.url(0), "--tasks-db", dbUrl, "--beat-db", dbUrl, "--name", `django-${kind}`]);
    });

    after(async () => {
      await stopAll();
      await pg?.destroy();
      await redis?.destroy();
      if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
    });

    it("lists every row of the table, newest first, with its fields", async () => {
      assert.ok(rows.length >= 9, `rows: ${rows.length}`);
      const list = await api("tasks", "tasks?limit=500");
      assert.equal(list.total, rows.length);
      assert.deepEqual(
        list.tasks.map((t: any) => t.id),
        rows.map((r) => r.task_id),
      );
      for (const [i, t] of list.tasks.entries()) {
        const r = rows[i]!;
        assert.equal(t.state, r.status);
        assert.equal(t.name, r.task_name);
        assert.equal(t.worker, r.worker);
        assert.equal(t.received, isoMs(r.date_created));
        assert.equal(t.finished, isoMs(r.date_done));
      }
      assert.match(list.source, /django-celery-results on /);
    });

    it("filters by state, name, worker and search text in SQL, exactly as the table says", async () => {
      const failed = await api("tasks", "tasks?state=FAILURE&limit=500");
      assert.deepEqual(
        failed.tasks.map((t: any) => t.id).sort(),
        rows
          .filter((r) => r.status === "FAILURE")
          .map((r) => r.task_id)
          .sort(),
      );
      assert.deepEqual(failed.tasks.map((t: any) => t.id).sort(), [...ids.fail].sort());
      for (const t of failed.tasks) assert.match(t.exception, /^ValueError\('fail-marker-\d'\)$/);

      const ticks = await api("tasks", "tasks?name=djproj.tasks.tick&limit=500");
      assert.deepEqual(
        ticks.tasks.map((t: any) => t.id),
        rows.filter((r) => r.task_name === "djproj.tasks.tick").map((r) => r.task_id),
      );
      assert.ok(ticks.total >= 2);

      const byWorker = await api("tasks", `tasks?worker=${encodeURIComponent(`django-${kind}@test`)}&limit=500`);
      assert.equal(byWorker.total, rows.filter((r) => r.worker === `django-${kind}@test`).length);
      assert.equal((await api("tasks", "tasks?worker=nobody@nowhere")).total, 0);

      const search = await api("tasks", "tasks?q=FAIL-MARKER-1");
      assert.deepEqual(
        search.tasks.map((t: any) => t.id),
        [ids.fail[1]],
      );
      const byKwarg = await api("tasks", "tasks?q=beat-marker&limit=500");
      assert.equal(byKwarg.total, rows.filter((r) => r.task_kwargs?.includes("beat-marker")).length);
      assert.ok(byKwarg.total >= 2);
      // LIKE's own wildcards are searched for literally.
      assert.equal((await api("tasks", "tasks?q=%25")).total, 0);
    });

    it("pages with keyset cursors through the whole table, ascending and by finish time", async () => {
      const adds = rows.filter((r) => r.task_name === "djproj.tasks.add");
      for (const [sort, order, expected, q] of [
        ["received", "desc", rows.map((r) => r.task_id)],
        // A search pages the same way (one scan gives page and total).
        ["received", "desc", adds.map((r) => r.task_id), "TASKS.ADD"],
        ["received", "asc", [...rows].reverse().map((r) => r.task_id)],
        ["finished", "desc", [...rows].sort((a, b) => (a.date_done < b.date_done ? 1 : a.date_done > b.date_done ? -1 : b.id - a.id)).map((r) => r.task_id)],
      ] as [string, string, string[], string?][]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 50; pages++) {
          const page: any = await api("tasks", `tasks?limit=2&sort=${sort}&order=${order}${q ? `&q=${q}` : ""}${cursor ? `&cursor=${cursor}` : ""}`);
          assert.equal(page.total, expected.length);
          seen.push(...page.tasks.map((t: any) => t.id));
          cursor = page.next_cursor;
          if (!cursor) break;
        }
        assert.deepEqual(seen, expected, `${sort} ${order}`);
      }
      const bad = await agent.get<any>("/api/v1/tasks?sort=runtime");
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /sort=runtime: django-celery-results records no runtime/);
    });

    it("shows one task in full: arguments, result, traceback, periodic task name, content type", async () => {
      const failRow = rows.find((r) => r.task_id === ids.fail[0])!;
      const f = await api("task", `tasks/${ids.fail[0]}`);
      assert.equal(f.state, "FAILURE");
      assert.equal(f.traceback, failRow.traceback);
      assert.match(f.traceback, /ValueError: fail-marker-0/);
      assert.deepEqual(f.exception_info, { type: "ValueError", message: "fail-marker-0", module: "builtins" });
      assert.deepEqual(f.args_value, { format: "repr", value: JSON.parse(failRow.task_args!) });
      assert.equal(f.args_value.value, "('fail-marker-0',)");
      assert.equal(f.database.content_type, "application/json");
      assert.equal(f.database.date_done, isoMs(failRow.date_done));

      const kw = await api("task", `tasks/${ids.kw}`);
      assert.deepEqual(kw.result_value, { format: "json", value: 42 });
      assert.equal(kw.kwargs_value.value, "{'y': 41}");
      assert.equal(kw.result, "42");

      const tickRow = rows.find((r) => r.periodic_task_name === "tick every second")!;
      assert.ok(tickRow, "beat's task carries its periodic task name");
      const tick = await api("task", `tasks/${tickRow.task_id}`);
      assert.equal(tick.database.periodic_task_name, "tick every second");
      assert.deepEqual(tick.result_value, { format: "json", value: { label: "beat-marker" } });

      assert.equal((await agent.get("/api/v1/tasks/no-such-task")).status, 404);
      // A group saved with the django-db backend is found in its own table, and says what it holds.
      const g = await agent.get<any>(`/api/v1/tasks/${ids.group}`);
      assert.equal(g.status, 404);
      assert.equal(g.body.error.message.includes("is a group"), true, g.body.error.message);
      for (const m of ids.members) assert.ok(g.body.error.message.includes(m), `group member ${m} named`);
    });

    it("hides payloads from a limited token, in the table's rows, its search and its detail", async () => {
      const limited = await startAgent([
        "--broker",
        redis.url(0),
        "--tasks-db",
        dbUrl,
        "--beat-db",
        dbUrl,
        "--limited-token",
        "django-limited",
        "--name",
        `django-${kind}-limited`,
      ]);
      const get = async (path: string) => (await limited.get<any>(`/api/v1/${path}`, { headers: { authorization: "Bearer django-limited" } })).body;
      // The failures' argument is in the table: a search on it must not find them (that would read it back).
      assert.equal((await get("tasks?q=fail-marker-1")).total, 0, "no search by a hidden argument");
      const failed = await get("tasks?state=FAILURE&limit=500");
      assert.equal(failed.total, ids.fail.length);
      for (const t of failed.tasks) for (const f of ["args", "kwargs", "exception"]) assert.equal(t[f]?.format, "hidden", `${f} of ${t.id}`);
      const byId = await get(`tasks?q=${ids.fail[0]!.slice(0, 13)}`);
      assert.deepEqual(
        byId.tasks.map((t: any) => t.id),
        [ids.fail[0]],
        "ids stay searchable",
      );
      const detail = await get(`tasks/${ids.fail[0]}`);
      assert.equal(detail.args_value.format, "hidden");
      assert.equal(detail.traceback.format, "hidden");
      assert.equal(detail.database.meta.format, "hidden");
      assert.ok(!JSON.stringify(detail).includes("fail-marker"), "the argument appears nowhere in the detail");
      // The periodic tasks' arguments are payloads too.
      const periodic = await get("periodic-tasks");
      assert.ok(periodic.periodic_tasks.length > 0);
      for (const p of periodic.periodic_tasks) for (const f of ["args", "kwargs"]) assert.equal(p[f]?.format, "hidden", `${f} of ${p.name}`);
      assert.ok(!JSON.stringify(periodic).includes("beat-marker"), "a periodic task's kwargs appear nowhere");
      await limited.stop();
    });

    it("lists django-celery-beat's periodic tasks with their schedules and beat's last runs", async () => {
      const beatRows = JSON.parse(python(DUMP_BEAT)) as BeatRow[];
      const list = await api("periodicTasks", "periodic-tasks");
      assert.deepEqual(
        list.periodic_tasks.map((p: any) => p.name),
        beatRows.map((b) => b.name),
      );
      // The overview counts the same rows (without describing each).
      assert.equal((await api("overview", "overview")).periodic_tasks, beatRows.length);
      for (const p of list.periodic_tasks) {
        const b = beatRows.find((x) => x.name === p.name)!;
        assert.equal(p.source, "django_celery_beat");
        assert.equal(p.task, b.task);
        assert.equal(p.enabled, b.enabled);
        assert.equal(p.one_off, b.one_off);
        assert.equal(p.total_run_count, b.total_run_count);
        assert.equal(p.last_run, b.last_run_at ? isoMs(b.last_run_at) : null);
        // The tables' own last runs are kept; this agent saw none of these tasks (their results are in the database).
        assert.equal(p.last_run_source, b.last_run_at ? "beat store" : null);
        assert.equal(p.schedule_kind, b.kind);
        assert.equal(p.queue, b.queue);
        assert.equal(p.priority, b.priority);
        assert.equal(p.description, b.description || null);
        assert.equal(p.expires, b.expires ? isoMs(b.expires) : null);
        assert.equal(p.error, null, `${p.name}: ${p.error}`);
      }
      const byName = new Map(list.periodic_tasks.map((p: any) => [p.name, p]));
      const tick: any = byName.get("tick every second");
      assert.ok(tick.last_run, "last_run_at written by beat");
      assert.ok(["alive", "late"].includes(list.beat?.status), `beat judged from the tables' last runs: ${JSON.stringify(list.beat)}`);
      assert.equal(tick.schedule, "every 1 second");
      assert.equal(tick.next_run, new Date(Math.max(Date.parse(tick.last_run) + 1000, Date.parse(tick.next_run))).toISOString());
      assert.deepEqual(tick.kwargs, { label: "beat-marker" });
      const cron: any = byName.get("monday report");
      assert.match(cron.schedule, /Monday/);
      assert.match(cron.schedule, /Europe\/Paris/);
      assert.equal(cron.timezone, "Europe/Paris");
      // 04:30 in Paris is 02:30 or 03:30 UTC, on a Monday.
      const next = new Date(cron.next_run);
      assert.equal(next.getUTCDay(), 1);
      assert.equal(next.getUTCMinutes(), 30);
      assert.ok([2, 3].includes(next.getUTCHours()), cron.next_run);
      assert.deepEqual(cron.args, [1, 2]);
      const sunset: any = byName.get("at sunset");
      assert.equal(sunset.schedule_kind, "solar");
      assert.equal(sunset.next_run, null, "disabled: beat will not send it");
      const clocked: any = byName.get("once in 2031");
      assert.equal(clocked.next_run, "2031-01-02T03:04:05.000Z");
      assert.deepEqual(clocked.options, { exchange: "celery", routing_key: "celery", priority: 5 });
      assert.match(list.source, /django-celery-beat tables on /);
    });

    it("names the databases, masked, as the sources in use", async () => {
      const conf = await api("config", "config");
      const masked = kind === "postgres" ? `postgres://panel:********@127.0.0.1:${pg!.port}/panel_app` : dbUrl;
      assert.equal(conf.agent.tasks_db, masked);
      assert.equal(conf.agent.beat_db, masked);
      const sources = new Map(conf.agent.sources.map((s: any) => [s.view, s.source]));
      assert.match(String(sources.get("tasks")), new RegExp(`django-celery-results on ${masked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      assert.match(String(sources.get("periodic-tasks")), /django-celery-beat tables on /);
      if (pg) {
        for (const path of ["config", "tasks", "periodic-tasks", `tasks/${ids.add[0]}`, "health"]) {
          const body = JSON.stringify((await agent.get(`/api/v1/${path}`)).body);
          assert.ok(!body.includes(pg.password), `${path} leaks the database password`);
        }
        assert.ok(!agent.output().includes(pg.password), "the log leaks the database password");
      }
    });

    it("opens the database read-only: a write through the agent's own driver is refused", async () => {
      const db = kind === "postgres" ? new PostgresDb(parseDbUrl(dbUrl)) : new SqliteDb(parseDbUrl(dbUrl));
      try {
        await assert.rejects(db.query("CREATE TABLE panel_write_probe (x integer)", []), /read-only|readonly/i);
        await assert.rejects(db.query("DELETE FROM django_celery_results_taskresult", []), /read-only|readonly/i);
        assert.equal(JSON.parse(python(DUMP_TASKS)).length, rows.length);
      } finally {
        await db.close();
      }
    });

    it("merges a task the live store saw (events) with its row: runtime and timeline from events, history from the table", async () => {
      const out = python(`
from celery.result import AsyncResult
from djproj.tasks import add
r = add.delay(20, 22)
r.get(timeout=60)
print(r.id)
`);
      const id = out.trim().split("\n").pop()!;
      const d = await eventually(
        async () => {
          const r = await agent.get<any>(`/api/v1/tasks/${id}`);
          return r.status === 200 && r.body.state === "SUCCESS" && r.body.sources.includes("events") && r.body.runtime !== null ? r.body : null;
        },
        30_000,
        "the new task seen by events and in the table",
      );
      assert.ok(d.sources.includes("result_backend"), `sources: ${d.sources}`);
      assert.deepEqual(d.result_value, { format: "json", value: 42 });
      assert.ok(d.database.date_done, "the row is there");
      assert.ok(d.timeline.some((x: any) => x.source === "event" && x.type === "task-succeeded"));
      assert.ok(d.queue === "celery", `queue from events: ${d.queue}`);
      const list = await api("tasks", "tasks?limit=1");
      assert.equal(list.tasks[0].id, id);
      assert.ok(list.tasks[0].runtime !== null, "runtime from events in the list row");
      // Queues are known live only: the filter finds the task the store saw on that queue.
      const onQueue = await api("tasks", "tasks?queue=celery&limit=500");
      assert.ok(onQueue.tasks.some((t: any) => t.id === id));
      await worker.stop();

      // No worker now: a task sent has no row yet; the live store's task-sent puts it first.
      const dbCount = (JSON.parse(python(DUMP_TASKS)) as DbRow[]).length;
      const waiting = python(`
from djproj.tasks import add
print(add.delay(7, 7).id)
`)
        .trim()
        .split("\n")
        .pop()!;
      const page = await eventually(
        async () => {
          const r = await agent.get<any>("/api/v1/tasks?limit=3");
          return r.status === 200 && r.body.tasks[0]?.id === waiting ? r.body : null;
        },
        30_000,
        "the waiting task listed first",
      );
      assert.equal(page.tasks[0].state, "PENDING");
      assert.equal(page.total, dbCount + 1);
      assert.equal(page.tasks.length, 3);
      assert.equal(page.tasks[1].id, id, "then the table's rows");
      assert.equal((JSON.parse(python(DUMP_TASKS)) as DbRow[]).length, dbCount, "still no row for it");
    });

    if (kind === "sqlite") {
      it("a database file that is not there yet gives a clear error, is never created, and is read once it appears", async () => {
        const later = join(sqliteDir!, "later.sqlite3");
        const laterUrl = `sqlite://${later}`;
        const second = await startAgent(["--broker", redis.url(0), "--tasks-db", laterUrl, "--name", "django-later"]);
        const res = await second.get<any>("/api/v1/tasks");
        assert.equal(res.status, 503);
        assert.equal(res.body.error.message, `tasks database unavailable: ${laterUrl}: unable to open database file`);
        assert.equal(existsSync(later), false, "the read-only open created no file");
        assert.equal((await second.get("/api/v1/health")).status, 200);
        copyFileSync(join(sqliteDir!, "db.sqlite3"), later);
        // Every row of the copy is listed. Beat and the workers go on meanwhile: the original gets
        // new rows, and this agent lists the tasks it hears of before any table has their row.
        const copy = new SqliteDb(parseDbUrl(laterUrl));
        const copied = Number(((await copy.query("SELECT count(*) AS n FROM django_celery_results_taskresult", []).finally(() => copy.close())) as any)[0].n);
        assert.ok(copied > 0, "the copy holds the tasks run so far");
        const listed = (await contractGet<any>(second, "tasks", "tasks")).total;
        assert.ok(listed >= copied && listed <= copied + 5, `listed ${listed}, the copy holds ${copied}`);
        await second.stop();
      });
    }

    if (kind === "postgres") {
      it("a dead database gives a clear error for its views, never a crash, and comes back", async () => {
        await pg!.stop();
        const res = await agent.get<any>("/api/v1/tasks");
        assert.equal(res.status, 503);
        assert.match(res.body.error.message, /^tasks database unavailable: postgres:\/\/panel:\*{8}@127\.0\.0\.1:\d+\/panel_app: /);
        const beat = await agent.get<any>("/api/v1/periodic-tasks");
        assert.equal(beat.status, 503);
        assert.equal((await agent.get("/api/v1/health")).status, 200);
        await pg!.run();
        await eventually(async () => (await agent.get("/api/v1/tasks")).status === 200, 30_000, "tasks again after the database restarts");
        assert.equal((await agent.get("/api/v1/periodic-tasks")).status, 200);
      });
    }
  });
}

djangoSuite("postgres");
djangoSuite("sqlite");
