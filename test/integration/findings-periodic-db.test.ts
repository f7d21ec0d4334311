/**
 * Periodic findings beat_schedule cannot express, from django-celery-beat's tables (SQLite, migrated
 * by the fixture Django project, read by the agent with --beat-db): a disabled entry, and a crontab
 * for 31 February. Each goes once the row is put right (enabled, the day fixed), as the agent reads
 * the tables again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { migrate, runDjango } from "../harness/django";
import { evidence, Findings } from "../harness/findings";

const SEED = `
import json
from django_celery_beat.models import IntervalSchedule, CrontabSchedule, PeriodicTask
hourly = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
PeriodicTask.objects.create(name="paused report", task="djproj.tasks.tick", interval=hourly, enabled=False)
feb31 = CrontabSchedule.objects.create(minute="0", hour="0", day_of_week="*", day_of_month="31", month_of_year="2", timezone="UTC")
PeriodicTask.objects.create(name="leap audit", task="djproj.tasks.tick", crontab=feb31)
`;
const FIX = `
from django_celery_beat.models import CrontabSchedule, PeriodicTask
PeriodicTask.objects.filter(name="paused report").update(enabled=True)
CrontabSchedule.objects.filter(day_of_month="31").update(day_of_month="28")
`;

let redis: RedisServer;
let dir: string;
let dbUrl: string;
let agent: AgentProcess;
let findings: Findings;

before(async () => {
  redis = await RedisServer.start();
  dir = mkdtempSync(join(tmpdir(), "celery-panel-beat-db-"));
  dbUrl = `sqlite://${join(dir, "db.sqlite3")}`;
  migrate(dbUrl, redis.url(0));
  runDjango(SEED, dbUrl, redis.url(0));
  agent = await startAgent(["--broker", redis.url(0), "--beat-db", dbUrl, "--name", "findings-beat-db"]);
  findings = new Findings(agent);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("django-celery-beat rows", () => {
  it("a disabled entry and a crontab for 31 February are said, until the rows are put right", async () => {
    const disabled = await findings.appears("periodic_disabled", "paused report");
    assert.equal(disabled.severity, "info");
    assert.equal(evidence(disabled, "enabled", "schedule"), false);
    assert.match(disabled.sentence, /^Periodic task paused report \(djproj\.tasks\.tick\) is disabled/);
    const never = await findings.appears("periodic_never_fires", "leap audit");
    assert.equal(never.severity, "problem");
    assert.match(String(evidence(never, "why", "schedule")), /never fires: day_of_month "31" does not occur in month_of_year "2"/);

    runDjango(FIX, dbUrl, redis.url(0));
    await findings.goes("periodic_disabled", "paused report");
    await findings.goes("periodic_never_fires", "leap audit");
  });
});
