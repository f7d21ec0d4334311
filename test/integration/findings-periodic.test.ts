/**
 * Periodic findings against a real `celery beat` (the default scheduler) and a real worker, whose
 * beat_schedule (in its conf, where the agent reads it) has two fast entries: tick-fast (2 s) and
 * forgotten (3 s). Beat first runs an older schedule without forgotten: that entry is missed while
 * beat sends the other. Beat stopped: beat is silent (each entry's miss folded into it). Beat started
 * with the whole schedule: both go. Then a crontab for 31 February: celery beat exits on it, and the
 * entry is said never to fire until the schedule is fixed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryBeat, CeleryWorker, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { evidence, Findings } from "../harness/findings";

const FAST = { FIXTURE_FAST_BEAT_SECONDS: "2" };
const WHOLE = { ...FAST, FIXTURE_ODD_BEAT_ENTRIES: "forgotten" };

let redis: RedisServer;
let agent: AgentProcess;
let findings: Findings;
let worker: CeleryWorker;
let beat: CeleryBeat;

const startWorker = (env: Record<string, string>) =>
  CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "w1@periodic-findings", pool: "solo", env });
const startBeat = (env: Record<string, string>) => CeleryBeat.start({ broker: redis.url(0), backend: redis.url(1), env });

before(async () => {
  redis = await RedisServer.start();
  worker = await startWorker(WHOLE);
  agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--name", "findings-periodic"]);
  findings = new Findings(agent);
  beat = await startBeat(FAST);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("beat_schedule entries and beat", () => {
  it("an entry beat does not send is missed while beat sends the others", async () => {
    const missed = await findings.appears("periodic_missed", "forgotten");
    assert.equal(missed.severity, "warning");
    assert.match(missed.sentence, /^Periodic task forgotten \(panel_fixture\.report\) was due \d+ s ago and no run of it was seen, while beat sends others/);
    assert.equal(evidence(missed, "schedule", "schedule"), "every 3 seconds");
    assert.equal(evidence(missed, "last run seen", "events"), null);
    assert.ok(Date.parse(String(evidence(missed, "due at", "schedule"))) < Date.now());
    assert.equal(await findings.find("periodic_missed", "tick-fast"), undefined, "beat sends tick-fast");
    assert.equal(await findings.find("beat_silent", "beat"), undefined);
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

  it("beat started again with the whole schedule: both findings go", async () => {
    beat = await startBeat(WHOLE);
    await findings.goes("beat_silent", "beat");
    await findings.goes("periodic_missed", "forgotten");
    await beat.stop();
  });
});

describe("a crontab for 31 February", () => {
  it("stops celery beat, and is said never to fire until the schedule is fixed", async () => {
    const withFeb31 = { ...FAST, FIXTURE_ODD_BEAT_ENTRIES: "feb-31" };
    await worker.stop();
    worker = await startWorker(withFeb31);
    const doomed = await startBeat(withFeb31);
    const code = doomed.child.exitCode ?? (await new Promise<number | null>((r) => doomed.child.once("exit", (c) => r(c))));
    assert.equal(code, 1, "beat raised 'unable to rollover' on the entry and exited");
    await doomed.stop();

    const never = await findings.appears("periodic_never_fires", "feb-31");
    assert.equal(never.severity, "problem");
    assert.match(String(evidence(never, "why", "schedule")), /never fires: day_of_month "31" does not occur in month_of_year "2"/);
    assert.match(never.sentence, /celery beat stops on it/);

    await worker.stop();
    worker = await startWorker(FAST);
    await findings.goes("periodic_never_fires", "feb-31");
  });
});
