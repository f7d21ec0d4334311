/**
 * No secret ever leaves the agent. A broker with a password, a result backend (another
 * redis-server) with its own, workers whose configuration holds secrets (a secret_key, a database
 * URL, a DSN under a harmless-looking key, a sentinel password in broker_transport_options, a
 * token in a beat entry's kwargs), a password in the agent's own --transport-options, and the
 * agent's tokens: every endpoint, the event stream and the agent's log are read with the full
 * token, and none of those strings may appear, in any encoding a URL would give it.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { recordEventStream } from "../harness/event-stream";

const BROKER_PW = "brokerPw-9f3a1c";
const BACKEND_PW = "backendPw-77e0b2";
const SECRET_KEY = "django-insecure-k3y-5e6f7a";
const DB_PW = "dbPw-c0ffee42";
const DSN_PW = "dsnPw-0badf00d";
const SENTINEL_PW = "sentinelPw-1234ab";
const BEAT_TOKEN = "beatToken-feedbeef";
const AGENT_TO_PW = "agentTransportPw-5566";
const FULL = "secret-full-token-0001";
const LIMITED = "secret-limited-token-02";

const SECRETS = { BROKER_PW, BACKEND_PW, SECRET_KEY, DB_PW, DSN_PW, SENTINEL_PW, BEAT_TOKEN, AGENT_TO_PW, FULL, LIMITED };

let brokerRedis: RedisServer;
let backendRedis: RedisServer;
let agent: AgentProcess;
const ids: string[] = [];
let python: (code: string) => Promise<string>;

before(async () => {
  brokerRedis = await RedisServer.start({ password: BROKER_PW });
  backendRedis = await RedisServer.start({ password: BACKEND_PW });
  const broker = brokerRedis.url(0);
  const backend = backendRedis.url(0);
  const env = {
    FIXTURE_TRANSPORT_OPTIONS: JSON.stringify({ sentinel_kwargs: { password: SENTINEL_PW } }),
    FIXTURE_EXTRA_SETTINGS: JSON.stringify({
      secret_key: SECRET_KEY,
      database_url: `postgresql://app:${DB_PW}@db.internal:5432/app`,
      // Not a secret-looking key: the URL inside must still lose its password.
      reporting_targets: [`postgresql://reporter:${DSN_PW}@reports.internal/r`],
      beat_schedule: { "sync-crm": { task: "panel_fixture.report", schedule: 60, kwargs: { kind: "crm", api_token: BEAT_TOKEN } } },
    }),
  };
  await Promise.all([
    CeleryWorker.start({ broker, backend, name: "prefork@secrets", pool: "prefork", concurrency: 1, env }),
    CeleryWorker.start({ broker, backend, name: "solo@secrets", pool: "solo", env }),
  ]);
  agent = await startAgent([
    "--broker",
    broker,
    "--result-backend",
    backend,
    "--transport-options",
    JSON.stringify({ priority_steps: [0, 3, 6, 9], sentinel_kwargs: { password: AGENT_TO_PW } }),
    "--token",
    FULL,
    "--limited-token",
    LIMITED,
  ]);
  python = (code) => runPython(code, broker, backend, env);
  const out = await python(`import panel_fixture as p
ids = [p.add.delay(1, 2).id, p.fail.delay("expected failure").id, p.sleep_for.apply_async((0.2,), queue="slowlane").id]
for i in ids: p.app.AsyncResult(i).get(timeout=20, propagate=False)
print(" ".join(ids))`);
  ids.push(...out.trim().split(/\s+/));
});

after(async () => {
  await stopAll();
  await brokerRedis?.destroy();
  await backendRedis?.destroy();
});

async function get(path: string): Promise<string> {
  const res = await agent.get(`/api/v1/${path}`, { headers: { Authorization: `Bearer ${FULL}` } });
  assert.ok(res.status < 500, `${path}: ${res.status}`);
  return JSON.stringify(res.body);
}

it("no password, secret setting or token appears in any response, the event stream or the log", async () => {
  const recording = await recordEventStream(agent.url, { Authorization: `Bearer ${FULL}` });
  // Tasks running while the stream is read.
  await python(`import panel_fixture as p; p.add.delay(5, 5).get(timeout=20); p.fail.delay("again").get(timeout=20, propagate=False)`);
  // Both workers answering, with their configuration: what is read below is complete.
  await eventually(async () => JSON.parse(await get("config")).reported_by.length === 2, 20_000, "both workers report their conf");
  await eventually(async () => JSON.parse(await get("tasks")).total >= 3, 20_000, "the tasks are known");
  let text = "";
  const paths = ["health", "overview", "workers", "tasks?limit=500", "queues", "config", "periodic-tasks", "nope", "tasks/not-a-task-id"];
  for (const w of JSON.parse(await get("workers")).workers) paths.push(`workers/${encodeURIComponent(w.name)}`);
  for (const q of JSON.parse(await get("queues")).queues) paths.push(`queues/${encodeURIComponent(q.name)}`);
  paths.push(...ids.map((id) => `tasks/${id}`));
  for (const p of paths) text += await get(p);
  text += await (await fetch(`${agent.url}/`)).text();
  await eventually(async () => /event: task/.test(recording.text()), 15_000, "the tasks' events on the stream");
  const stream = await recording.stop();
  const log = agent.output();

  // What is read is the real thing: the secrets' settings are there, masked.
  const config = JSON.parse(await get("config"));
  const settings = new Map<string, unknown>(config.groups.flatMap((g: any) => g.settings.map((s: any) => [s.key, s.value])));
  assert.equal(settings.get("secret_key"), "********");
  assert.deepEqual(settings.get("reporting_targets"), ["postgresql://reporter:********@reports.internal/r"]);
  assert.match(String(settings.get("result_backend")), /^redis:\/\/:\*{8}@127\.0\.0\.1:\d+\/0$/);
  assert.match(stream, /event: task/);
  assert.match(log, /listening on/);

  for (const [name, secret] of Object.entries(SECRETS)) {
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")])) {
      assert.ok(!text.includes(form), `${name} in a response`);
      assert.ok(!stream.includes(form), `${name} in the event stream`);
      assert.ok(!log.includes(form), `${name} in the agent's log`);
    }
  }
});
