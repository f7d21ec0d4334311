/**
 * Periodic findings, side by side:
 * - beat_schedule, with a real `celery beat` (the default scheduler) and a real worker whose
 *   beat_schedule (in its conf, where the agent reads it) has tick-fast (2 s), forgotten (3 s) and
 *   feb-31 (a crontab for 31 February). Beat first runs an older schedule with tick-fast only:
 *   forgotten is missed while beat sends the other, and feb-31 is said never to fire. Beat stopped:
 *   beat is silent (each entry's miss folded into it). Beat started with forgotten: both go. Beat
 *   started with feb-31 exits on it; the worker's schedule fixed, that finding goes too.
 * - django-celery-beat's tables (SQLite, read with --beat-db), for what beat_schedule cannot say: a
 *   disabled entry, and a crontab for 31 February there; each goes once its row is put right.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CeleryBeat, CeleryWorker, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { migrateAsync, runDjangoAsync } from "../harness/django";
import { evidence, FindingsProbe } from "../harness/findings";
import { contractGet } from "../harness/contract";
import type { PeriodicTaskList } from "../../agent/api/schema";

const FAST = { FIXTURE_FAST_BEAT_SECONDS: "2" };
const odd = (entries: string) => ({ ...FAST, FIXTURE_ODD_BEAT_ENTRIES: entries });

after(stopAll);

describe("periodic findings", { concurrency: true }, () => {
  // Its steps follow one another (the parent runs its children side by side, and they inherit that).
  describe("beat_schedule entries and celery beat", { concurrency: false }, () => {
    let redis: RedisServer;
    let agent: AgentProcess;
    let findings: FindingsProbe;
    let worker: CeleryWorker;
    let beat: CeleryBeat;
    const startWorker = (env: Record<string, string>) =>
      CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "w1@periodic-findings", pool: "solo", env });
    const startBeat = (env: Record<string, string>) => CeleryBeat.start({ broker: redis.url(0), backend: redis.url(1), env });

    before(async () => {
      redis = await RedisServer.start();
      worker = await startWorker(odd("forgotten,feb-31"));
      agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-periodic"]);
      findings = new FindingsProbe(agent);
      beat = await startBeat(FAST);
    });

    after(async () => {
      await Promise.allSettled([beat?.stop(), worker?.stop(), agent?.stop()]);
      await redis?.destroy();
    });

    it("an entry beat does not send is missed while beat sends the others; a 31 February crontab never fires", async () => {
      const missed = await findings.appears("periodic_missed", "forgotten");
      assert.equal(missed.severity, "warning");
      assert.match(missed.sentence, /^Periodic task forgotten \(panel_fixture\.report\) was due \d+ s ago and no run of it was seen, while beat sends others/);
      assert.equal(evidence(missed, "schedule", "schedule"), "every 3 seconds");
      assert.equal(evidence(missed, "last run seen", "events"), null);
      assert.ok(Date.parse(String(evidence(missed, "due at", "schedule"))) < Date.now());
      assert.equal(await findings.find("periodic_missed", "tick-fast"), undefined, "beat sends tick-fast");
      assert.equal(await findings.find("beat_silent", "beat"), undefined);
      const never = await findings.appears("periodic_never_fires", "feb-31");
      assert.equal(never.severity, "problem");
      assert.match(String(evidence(never, "why", "schedule")), /never fires: day_of_month "31" does not occur in month_of_year "2"/);
      assert.match(never.sentence, /celery beat stops on it/);
      // The periodic view carries them, for its "why" box.
      const list = await contractGet<PeriodicTaskList>(agent, "periodicTasks", "periodic-tasks");
      const about = new Set((list.findings ?? []).map((f) => `${f.kind} ${f.subject.id}`));
      assert.ok(about.has("periodic_missed forgotten") && about.has("periodic_never_fires feb-31"), [...about].join(", "));
    });

    it("beat stopped while its entries are due: beat is silent", async () => {
      await beat.stop();
      const silent = await findings.appears("beat_silent", "beat");
      assert.equal(silent.severity, "problem");
      assert.match(String(evidence(silent, "beat check", "schedule")), /^entry \S+ was due \d+ s ago and nothing was seen since/);
      assert.match(String(evidence(silent, "entries read from", "schedule")), /beat_schedule/);
      const lastRun = Date.parse(String(evidence(silent, "latest run of any entry", "events")));
      assert.ok(lastRun < Date.now() - 10_000, "the last run is from before the tolerance");
      // Every entry is late now: said once, by beat_silent.
      assert.equal(await findings.find("periodic_missed", "forgotten"), undefined);
      assert.equal(await findings.find("periodic_missed", "tick-fast"), undefined);
    });

    it("beat started again with the forgotten entry: both findings go", async () => {
      beat = await startBeat(odd("forgotten"));
      await findings.disappears("beat_silent", "beat");
      await findings.disappears("periodic_missed", "forgotten");
      await beat.stop();
    });

    it("beat given the 31 February crontab exits; the worker's schedule fixed, the finding goes", async () => {
      beat = await startBeat(odd("forgotten,feb-31"));
      const code = beat.child.exitCode ?? (await new Promise<number | null>((r) => beat.child.once("exit", (c) => r(c))));
      assert.equal(code, 1, "beat raised 'unable to rollover' on the entry and exited");
      await worker.stop();
      worker = await startWorker(odd("forgotten"));
      await findings.disappears("periodic_never_fires", "feb-31");
    });
  });

  describe("django-celery-beat rows", () => {
    let redis: RedisServer;
    let dir: string;
    let dbUrl: string;
    let agent: AgentProcess;
    let findings: FindingsProbe;
    const SEED = `
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

    before(async () => {
      redis = await RedisServer.start();
      dir = mkdtempSync(join(tmpdir(), "celery-panel-beat-db-"));
      dbUrl = `sqlite://${join(dir, "db.sqlite3")}`;
      await migrateAsync(dbUrl, redis.url(0));
      await runDjangoAsync(SEED, dbUrl, redis.url(0));
      agent = await startAgent(["--broker", redis.url(0), "--beat-db", dbUrl, "--name", "findings-beat-db"]);
      findings = new FindingsProbe(agent);
    });

    after(async () => {
      await agent?.stop();
      await redis?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("a disabled entry and a crontab for 31 February are said, until the rows are put right", async () => {
      const disabled = await findings.appears("periodic_disabled", "paused report");
      assert.equal(disabled.severity, "info");
      assert.equal(evidence(disabled, "enabled", "schedule"), false);
      assert.match(disabled.sentence, /^Periodic task paused report \(djproj\.tasks\.tick\) is disabled/);
      const never = await findings.appears("periodic_never_fires", "leap audit");
      assert.equal(never.severity, "problem");
      assert.match(String(evidence(never, "why", "schedule")), /never fires: day_of_month "31" does not occur in month_of_year "2"/);

      await runDjangoAsync(FIX, dbUrl, redis.url(0));
      await findings.disappears("periodic_disabled", "paused report");
      await findings.disappears("periodic_never_fires", "leap audit");
    });
  });
});
