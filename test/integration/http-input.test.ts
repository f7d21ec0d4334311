/**
 * Bad HTTP input, each refused with a clear answer while the agent keeps serving, and counted in
 * `health.http_rejected`: bad query parameters (400 naming them), unknown paths (404), oversized
 * URLs (414), and tasks, workers and queues that do not exist (404 saying so).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CeleryWorker, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";

let redis: RedisServer;
let agent: AgentProcess;

async function refused(path: string, status: number, code: string, message: RegExp, init?: RequestInit) {
  const r = await agent.get<any>(path, init);
  assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body).slice(0, 200)}`);
  assert.equal(r.body.error.code, code, path);
  assert.match(r.body.error.message, message, path);
  return r;
}

const rejected = async (): Promise<Record<string, number>> => (await agent.get<any>("/api/v1/health")).body.http_rejected;

before(async () => {
  redis = await RedisServer.start();
  await CeleryWorker.start({ broker: redis.url(0), backend: redis.url(1), name: "solo@input", pool: "solo" });
  agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1)]);
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("bad query parameters", () => {
  it("answers 400 naming the parameter, on tasks", async () => {
    const cases: [string, RegExp][] = [
      ["limit=0", /limit/],
      ["limit=abc", /limit/],
      ["state=DONE", /state/],
      ["order=sideways", /order/],
      ["since=tomorrow-ish", /since/],
      ["until=nope", /until/],
      [`q=${"x".repeat(301)}`, /\bq\b/],
      ["cursor=forged", /cursor/],
      ["colour=red", /unknown query parameter colour/],
    ];
    for (const [q, message] of cases) await refused(`/api/v1/tasks?${q}`, 400, "bad_request", message);
  });

  it("answers 400 for any parameter given to an endpoint that takes none", async () => {
    for (const path of ["health", "overview", "workers", "queues", "config", "periodic-tasks", "events", "workers/solo@input"]) {
      await refused(`/api/v1/${path}?verbose=1&page=2`, 400, "bad_request", /unknown query parameter verbose, page/);
    }
  });
});

describe("unknown paths and methods", () => {
  it("answers 404 in JSON naming what was asked", async () => {
    for (const path of ["/api/v1/nope", "/api/v2/health", "/api/v1/tasks/a/b", "/favicon.ico", "/etc/passwd", "/api/v1/../../etc/passwd"]) {
      await refused(path, 404, "not_found", /no such endpoint: GET \//);
    }
    await refused("/api/v1/health", 404, "not_found", /no such endpoint: POST \/api\/v1\/health/, { method: "POST", body: "{}" });
  });
});

describe("oversized URLs", () => {
  it("answers 414 for a query string past the limit, and keeps serving", async () => {
    await refused(`/api/v1/tasks?q=${"a".repeat(5000)}`, 414, "uri_too_long", /longer than 4096/);
    await refused(`/api/v1/overview?${"p=1&".repeat(2000)}`, 414, "uri_too_long", /longer than/);
    // Past what Node reads at all (16 KB of headers): refused before the agent sees it.
    const huge = await fetch(`${agent.url}/api/v1/tasks?q=${"b".repeat(100_000)}`);
    assert.ok([414, 431].includes(huge.status), `huge URL: ${huge.status}`);
    assert.equal((await agent.get("/api/v1/health")).status, 200, "still serving");
  });
});

describe("things that do not exist", () => {
  it("answers 404 saying which task, worker or queue is unknown", async () => {
    await refused("/api/v1/tasks/0b9e7c7e-0000-4000-8000-000000000000", 404, "not_found", /no task with id "0b9e7c7e-0000-4000-8000-000000000000"/);
    await refused("/api/v1/workers/ghost@nowhere", 404, "not_found", /no worker named "ghost@nowhere"/);
    await refused("/api/v1/queues/no-such-queue", 404, "not_found", /no queue named "no-such-queue"/);
    await refused(`/api/v1/tasks/${encodeURIComponent("<img src=x>")}`, 400, "bad_request", /is not a task id/);
  });
});

describe("health", () => {
  it("counts what it refused over HTTP by status and code, beside the broker's rejections", async () => {
    const before = await rejected();
    await agent.get("/api/v1/tasks?limit=0");
    await agent.get("/api/v1/nope");
    await agent.get("/api/v1/nope");
    await agent.get(`/api/v1/tasks?q=${"a".repeat(5000)}`);
    const after = await rejected();
    const grew = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    assert.equal(grew("400 bad_request"), 1);
    assert.equal(grew("404 not_found"), 2);
    assert.equal(grew("414 uri_too_long"), 1);
    const h = (await agent.get<any>("/api/v1/health")).body;
    assert.equal(typeof h.rejected, "object", "the broker's own count stays");
    assert.ok(after["404 not_found"]! >= 9, "everything the tests above refused was counted");
  });
});
