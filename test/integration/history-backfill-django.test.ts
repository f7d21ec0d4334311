/**
 * The durable history's first start takes in django-celery-results' table (--tasks-db), migrated
 * and filled by Django itself on SQLite: the rows within --retain are written, older ones are not,
 * and the next start does not read the table again (the history's meta table says it was done).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, it } from "node:test";
import { eventually, letTimePass, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { migrateAsync, runDjangoAsync } from "../harness/django";
import { scratchDirs } from "../harness/task-list";

const tempDir = scratchDirs("celery-panel-djbackfill-it-");
after(() => stopAll());

/** Rows written as django-celery-results writes them, `daysAgo` old. */
const insertRows = (prefix: string, n: number, daysAgo: number) => `
from datetime import timedelta
from django.utils import timezone
from django_celery_results.models import TaskResult
when = timezone.now() - timedelta(days=${daysAgo})
for i in range(${n}):
    TaskResult.objects.create(task_id="${prefix}-%d" % i, task_name="djproj.tasks.add", status="SUCCESS", result="%d" % i,
                              content_type="application/json", content_encoding="utf-8", worker="w@django")
TaskResult.objects.filter(task_id__startswith="${prefix}-").update(date_created=when, date_done=when)
`;

const historyTasks = async (agent: AgentProcess) => (await agent.get<any>("/api/v1/health")).body.history.tasks as number;

it("backfills the history from django-celery-results once, within --retain", async () => {
  const redis = await RedisServer.start();
  const dbUrl = `sqlite://${join(tempDir(), "db.sqlite3")}`;
  const dataDir = tempDir();
  try {
    await migrateAsync(dbUrl, redis.url(0));
    await runDjangoAsync(insertRows("recent", 40, 1) + insertRows("old", 5, 30), dbUrl, redis.url(0));
    const args = ["--broker", redis.url(0), "--tasks-db", dbUrl, "--data-dir", dataDir, "--retain", "14d"];
    const first = await startAgent(args);
    await eventually(async () => (await historyTasks(first)) === 40, 15_000, "the 40 recent rows in the history");
    assert.match(first.output(), /40 tasks backfilled from django-celery-results/);
    await letTimePass(1000, "anything older would be written by now");
    assert.equal(await historyTasks(first), 40, "rows older than --retain are not written");
    await first.stop();

    // A row added while the agent was away is the table's to show; the history is not backfilled again.
    await runDjangoAsync(insertRows("later", 3, 0), dbUrl, redis.url(0));
    const second = await startAgent(args);
    await letTimePass(2000, "a second backfill would have written the new rows");
    assert.equal(await historyTasks(second), 40);
    assert.doesNotMatch(second.output(), /backfilled from django-celery-results/);
    await second.stop();
  } finally {
    await stopAll();
    await redis.destroy();
  }
});
