/**
 * A Celery app whose `timezone` is not UTC: beat reads a crontab in the app's zone, so the agent
 * must too. A real worker from the fixture app runs in Europe/Paris with `crontab(hour=3, minute=0)`;
 * the periodic-tasks endpoint must give 03:00 Paris time as a UTC instant, and say the zone.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { contractGet } from "../harness/contract";
import { CeleryWorker, eventually, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const ZONE = "Europe/Paris";
let redis: RedisServer;
let agent: AgentProcess;

before(async () => {
  redis = await RedisServer.start();
  const broker = redis.url(0);
  const backend = redis.url(1);
  await CeleryWorker.start({ broker, backend, name: "paris@tz", pool: "solo", env: { FIXTURE_TIMEZONE: ZONE } });
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "tz-agent"]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

const parisClock = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** The first instant after `now` at which Paris wall clocks show 03:00 (UTC+1 in winter, UTC+2 in summer). */
function next3amParis(now: number): string {
  const d = new Date(now);
  const candidates: number[] = [];
  for (let day = 0; day <= 2; day++) {
    for (const offsetHours of [1, 2]) {
      const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + day, 3 - offsetHours, 0);
      if (t > now && parisClock.format(t) === "03:00") candidates.push(t);
    }
  }
  return new Date(Math.min(...candidates)).toISOString();
}

it("computes a crontab's next run in the app's time zone, and says which zone its schedule is in", async () => {
  // The worker's conf (where beat_schedule and timezone come from) is read by remote control.
  const { p, before, after } = await eventually(
    async () => {
      const before = Date.now();
      const p = await contractGet<any>(agent, "periodicTasks", "periodic-tasks");
      return p.periodic_tasks.some((e: any) => e.name === "local-3am") ? { p, before, after: Date.now() } : null;
    },
    20_000,
    "the worker's beat_schedule read",
  );
  assert.equal(p.timezone, ZONE);
  const e = p.periodic_tasks.find((x: any) => x.name === "local-3am");
  assert.equal(e.schedule_kind, "crontab");
  assert.equal(e.schedule, `at 03:00 every day (${ZONE})`);
  // Either side of the request, in case 03:00 Paris passed during it.
  assert.ok([next3amParis(before), next3amParis(after)].includes(e.next_run), `next_run ${e.next_run}, expected ${next3amParis(before)}`);
  assert.equal(parisClock.format(Date.parse(e.next_run)), "03:00");
  assert.notEqual(new Date(e.next_run).getUTCHours(), 3, "03:00 Paris is never 03:00 UTC");
});
