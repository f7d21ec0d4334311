/**
 * The Configuration view tells the truth about real workers: two workers started with -E under an
 * app that leaves worker_send_task_events at its default (off) are reported as sending task events;
 * two workers whose `include` lists the same modules in another order do not "disagree"; routing
 * keys (task_default_routing_key, the ones in task_routes) are visible while the broker password is
 * still masked; values come with their units.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

const BROKER_PW = "cfgTruthPw-31d4";

type Setting = {
  key: string;
  value: unknown;
  is_default: boolean;
  display?: string;
  hidden_by_celery?: boolean;
  observed?: { value: unknown; detail: string; workers?: Record<string, boolean | null> };
};
type Config = { groups: { settings: Setting[] }[]; reported_by: string[]; differences: { key: string }[] };

let redis: RedisServer;
let agent: AgentProcess;
let broker: string;

const common = { FIXTURE_DEFAULT_SETTINGS: "worker_send_task_events" };

before(async () => {
  redis = await RedisServer.start({ password: BROKER_PW });
  broker = redis.url(0);
  // The same modules, in another order (both importable by any Python).
  const include = (mods: string[]) => ({ ...common, FIXTURE_EXTRA_SETTINGS: JSON.stringify({ include: mods }) });
  await Promise.all([
    CeleryWorker.start({
      broker,
      backend: broker,
      name: "one@cfg",
      pool: "solo",
      queues: ["celery", "only_one"],
      env: include(["json", "os.path", "textwrap"]),
    }),
    CeleryWorker.start({
      broker,
      backend: broker,
      name: "two@cfg",
      pool: "solo",
      queues: ["celery", "only_two"],
      env: include(["textwrap", "json", "os.path"]),
    }),
  ]);
  agent = await startAgent(["--broker", broker]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

async function config(): Promise<{ config: Config; settings: Map<string, Setting> }> {
  const res = await agent.get<Config>("/api/v1/config");
  assert.equal(res.status, 200);
  return { config: res.body, settings: new Map(res.body.groups.flatMap((g) => g.settings.map((s) => [s.key, s] as const))) };
}

it("workers started with -E are reported as sending task events, though worker_send_task_events is off", async () => {
  await eventually(async () => (await config()).config.reported_by.length === 2, 30_000, "both workers report their conf");
  // A task on each worker (through a queue only it consumes).
  await runPython(
    `import panel_fixture as p
for q in ("only_one", "only_two"): p.add.apply_async((1, 2), queue=q).get(timeout=30)`,
    broker,
    broker,
    common,
  );
  const { settings } = await eventually(
    async () => {
      const c = await config();
      return c.settings.get("worker_send_task_events")?.observed?.value === true ? c : null;
    },
    30_000,
    "task events observed from both workers",
  );
  const setting = settings.get("worker_send_task_events")!;
  // What conf says (the -E flag does not reach it), and what the workers do.
  assert.equal(setting.value, false);
  assert.equal(setting.is_default, true);
  assert.match(setting.observed!.detail, /all 2 workers send task events/);
  assert.equal(settings.get("task_send_sent_event")!.observed!.value, true);
});

it("the same include modules in another order are no disagreement", async () => {
  const { config: c, settings } = await config();
  assert.equal(c.reported_by.length, 2);
  assert.deepEqual(
    c.differences.map((d) => d.key).filter((k) => k === "include"),
    [],
  );
  assert.deepEqual((settings.get("include")!.value as string[]).filter((m) => ["json", "os.path", "textwrap"].includes(m)).sort(), [
    "json",
    "os.path",
    "textwrap",
  ]);
});

it("routing keys are visible, the broker password is not; values come with units", async () => {
  // Sent only (no worker here consumes media or audit): the task-sent events carry the routing.
  await runPython(
    `import panel_fixture as p
p.encode_video.delay(7)
p.audit_login.delay("ann")
p.add.delay(1, 1).get(timeout=30)`,
    broker,
    broker,
    common,
  );
  const { settings } = await eventually(
    async () => {
      const c = await config();
      return c.settings.get("task_routes")?.observed?.value && c.settings.get("task_default_routing_key")?.observed ? c : null;
    },
    30_000,
    "routed tasks seen",
  );
  // Celery hides it in its conf reply; at its default it is None, which is no secret.
  assert.equal(settings.get("task_default_routing_key")!.value, null);
  assert.match(settings.get("task_default_routing_key")!.observed!.detail, /default queue celery went out with routing key celery/);
  const routes = settings.get("task_routes")!.observed!;
  // Celery hides routing_key inside task_routes; the task-sent events show what tasks really went
  // out with: the route's key on the topic exchange, and for a direct queue named without an
  // exchange Celery publishes to the default exchange with the queue's name (ignoring the route's key).
  assert.deepEqual((routes.value as any)["panel_fixture.audit_login"], [{ queue: "audit", exchange: "audit", routing_key: "audit.login" }]);
  assert.deepEqual((routes.value as any)["panel_fixture.encode_video"], [{ queue: "media", exchange: "", routing_key: "media" }]);
  assert.match(routes.detail, /panel_fixture\.audit_login → audit\.login \(exchange audit, queue audit\)/);
  // Names with KEY or DATABASE in them that Celery hid, at their default.
  assert.equal(settings.get("database_table_names")!.value, null);
  assert.equal(settings.get("cassandra_keyspace")!.value, null);
  // Secrets stay masked.
  assert.equal(settings.get("broker_password")!.value, "********");
  assert.match(String(settings.get("broker_url")!.value), /^redis:\/\/:\*{8}@127\.0\.0\.1:\d+\/0$/);
  assert.ok(!JSON.stringify([...settings.values()]).includes(BROKER_PW));
  // Units and reprs in words, raw values kept.
  assert.equal(settings.get("task_time_limit")!.display, "60 s");
  assert.equal(settings.get("result_expires")!.value, "1 day, 0:00:00");
  assert.equal(settings.get("result_expires")!.display, "1 day");
  assert.equal(settings.get("deprecated_settings")!.display, "none (empty set)");
});
