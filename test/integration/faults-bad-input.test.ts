/**
 * Bad input on the broker, published where the agent listens while a real worker runs: on the event
 * channel (not JSON, bad base64, pickle/yaml/msgpack bodies, truncated, 50 MB, deeply nested,
 * unknown event types, heartbeats missing fields) and onto a reply list during a remote-control
 * call (a wrong ticket, garbage, and the reply that never comes). Each is counted by reason in
 * `health.rejected`, nothing is deserialized, and the real worker still shows as it is.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { Redis } from "ioredis";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

let redis: RedisServer;
let probe: Redis;
let agent: AgentProcess;
let mute: CeleryWorker;
const marker = join(mkdtempSync(join(tmpdir(), "celery-panel-unpickled-")), "created-if-deserialized");
const EVENTS = "/0.celeryev/worker.heartbeat";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
/** A kombu envelope as Celery publishes events, with any body text, content type and encoding. */
function envelope(body: string, contentType = "application/json", encoding: string | null = "base64", headers: Record<string, unknown> = {}): string {
  return JSON.stringify({
    body: encoding === "base64" ? b64(body) : body,
    "content-encoding": "utf-8",
    "content-type": contentType,
    headers,
    properties: {
      delivery_mode: 1,
      delivery_info: { exchange: "celeryev", routing_key: "worker.heartbeat" },
      priority: 0,
      body_encoding: encoding,
      delivery_tag: "d8f0c1e2-0000-4000-8000-000000000001",
    },
  });
}

const health = async () => (await agent.get<any>("/api/v1/health")).body;
const steady = async () => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).find((w) => w.name === "steady@faults");

before(async () => {
  redis = await RedisServer.start();
  probe = new Redis(redis.port, "127.0.0.1");
  // No pub/sub output limit: the 50 MB message must reach the agent (Redis would otherwise drop it).
  await probe.config("SET", "client-output-buffer-limit", "pubsub 0 0 0");
  const broker = redis.url(0);
  const backend = redis.url(1);
  await CeleryWorker.start({ name: "steady@faults", pool: "prefork", concurrency: 1, queues: ["celery"], broker, backend });
  mute = await CeleryWorker.start({ name: "mute@faults", pool: "solo", queues: ["q_mute"], broker, backend });
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--inspect-timeout", "6000"]);
  // Heard through their heartbeats (events flowing), not only through answers to remote control.
  await eventually(
    async () => ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).filter((w) => w.status === "online" && w.last_heartbeat).length === 2,
    20_000,
    "workers heard",
  );
});

after(async () => {
  try {
    process.kill(mute.pid, "SIGCONT");
  } catch {
    /* gone */
  }
  probe?.disconnect();
  await stopAll();
  await redis?.destroy();
  rmSync(join(marker, ".."), { recursive: true, force: true });
});

it("counts every kind of bad event message by reason, deserializes none, and keeps serving the real worker", async () => {
  const before = (await health()).rejected as Record<string, number>;
  const real = JSON.stringify({ hostname: "fake@nowhere", type: "worker-heartbeat", timestamp: Date.now() / 1000, freq: 2 });
  // A pickle that runs a shell command when unpickled, a YAML tag that does the same.
  const pickle = `cos\nsystem\n(S'touch ${marker}'\ntR.`;
  const yaml = `!!python/object/apply:os.system ["touch ${marker}"]`;
  const sent: [string, string | Buffer][] = [
    ["not_json", "this is not JSON {"],
    ["bad_base64", envelope(real).replace(/"body":"[^"]*"/, '"body":"!!!not base64!!!"')],
    ["unsupported_content_type", envelope(pickle, "application/x-python-serialize")],
    ["unsupported_content_type", envelope(yaml, "application/x-yaml")],
    [
      "unsupported_content_type",
      JSON.stringify({
        body: Buffer.from([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa1, 0x78]).toString("base64"),
        "content-type": "application/x-msgpack",
        properties: { body_encoding: "base64" },
      }),
    ],
    ["not_json", envelope(real).slice(0, 60)],
    ["bad_body", envelope(real.slice(0, real.length - 5))],
    ["too_large", Buffer.alloc(50 * 1024 * 1024, 0x20)],
    ["too_deep", envelope("[".repeat(100_000) + "]".repeat(100_000))],
    ["event_unknown_type", envelope(JSON.stringify({ hostname: "fake@nowhere", type: "worker-dance", timestamp: Date.now() / 1000 }))],
    ["event_missing_fields", envelope(JSON.stringify({ type: "worker-heartbeat", timestamp: Date.now() / 1000 }))],
    ["event_missing_fields", envelope(JSON.stringify({ type: "worker-heartbeat", hostname: "fake@nowhere" }))],
    ["event_missing_fields", envelope(JSON.stringify({ type: "task-started", hostname: "fake@nowhere", timestamp: Date.now() / 1000 }))],
  ];
  const junkSentAt = Date.now();
  for (const [, message] of sent) assert.ok((await probe.publish(EVENTS, message)) >= 1, "the agent is subscribed");
  const want: Record<string, number> = {};
  for (const [reason] of sent) want[reason] = (want[reason] ?? 0) + 1;
  const counted = await eventually(
    async () => {
      const now = (await health()).rejected as Record<string, number>;
      const diff = Object.fromEntries(Object.keys(want).map((k) => [k, (now[k] ?? 0) - (before[k] ?? 0)]));
      return Object.entries(want).every(([k, n]) => diff[k] === n) ? diff : null;
    },
    20_000,
    `rejections counted (${JSON.stringify(want)})`,
  );
  assert.deepEqual(counted, want);
  assert.equal(existsSync(marker), false, "no pickle or YAML body was ever deserialized");
  // Nothing from the junk became a worker; the real one is as it was, and tasks still flow.
  assert.equal(
    ((await agent.get<any>("/api/v1/workers")).body.workers as any[]).some((w) => w.name === "fake@nowhere"),
    false,
  );
  const w = await steady();
  assert.equal(w.status, "online");
  assert.ok(w.pid > 0);
  const id = (await runPython(`import panel_fixture as p; r = p.add.delay(4, 5); r.get(timeout=60); print(r.id)`, redis.url(0), redis.url(1))).trim();
  const t = await eventually(
    async () => {
      const r = (await agent.get<any>(`/api/v1/tasks/${id}`)).body;
      return r.state === "SUCCESS" ? r : null;
    },
    20_000,
    "task after the junk",
  );
  assert.equal(t.worker, "steady@faults");
  await eventually(async () => Date.parse((await steady()).last_heartbeat) > junkSentAt, 10_000, "a heartbeat read after the junk");
});

it("drops replies with a wrong ticket or garbage, and ends a call whose reply never comes at its timeout", async () => {
  const before = await health();
  // A worker that cannot answer (stopped), asked while still judged online: the call waits.
  process.kill(mute.pid, "SIGSTOP");
  try {
    const call = agent.get<any>("/api/v1/workers/mute@faults");
    const members = await eventually(
      async () => {
        const m = await probe.smembers("_kombu.binding.reply.celery.pidbox");
        return m.length ? m : null;
      },
      10_000,
      "reply binding in place",
    );
    const replyList = members[0]!.split("\x06\x16").at(-1)!;
    const reply = (ticket: string) => envelope(JSON.stringify({ "mute@faults": { ok: "pong" } }), "application/json", "base64", { ticket, clock: 1 });
    await probe.lpush(replyList, reply("not-the-ticket-we-sent"), "{{{ not json", envelope("cos\nsystem\n(S'true'\ntR.", "application/x-python-serialize"));
    const detail = await call;
    assert.equal(detail.status, 200);
    assert.match(detail.body.notes.join(" "), /did not answer .* within 6000 ms/);
    const after = await health();
    const diff = (k: string) => (after.rejected[k] ?? 0) - (before.rejected[k] ?? 0);
    assert.equal(diff("reply_wrong_ticket"), 1);
    assert.equal(diff("reply_not_json"), 1);
    assert.equal(diff("reply_unsupported_content_type"), 1);
    assert.ok(after.remote_control.timeouts > before.remote_control.timeouts, "the unanswered call counted as a timeout");
  } finally {
    process.kill(mute.pid, "SIGCONT");
  }
  // Still serving, and the real worker still right.
  assert.equal((await health()).broker.state, "connected");
  assert.equal((await steady()).status, "online");
});
