/**
 * Who gets in and what they see, against real workers: tokens (full and limited), --redact, the
 * Host check, CORS, and that a limited caller can read no payload, not even by searching for it.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { endpoints, type EndpointName } from "../../agent/api/schema";
import { eventually, letTimePass, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { recordEventStream } from "../harness/event-stream";
import { startScenario, type Scenario } from "../harness/scenario";

const FULL = "full-token-0123456789";
const LIMITED = "limited-token-abcdefgh";
const OTHER_LIMITED = "limited-token-second1";
/** Strings only task payloads carry (args, kwargs, results, exception messages). */
const MARK = { arg: "pii-arg-ann@example.com", kwarg: "pii-kwarg-uhd", result: "pii-result", error: "pii-error-card-4242" };

let s: Scenario;
let redacted: AgentProcess;
const ids: Record<string, string> = {};

const auth = (token: string | null): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

async function call(agent: AgentProcess, path: string, token: string | null, headers: Record<string, string> = {}) {
  return agent.get<any>(`/api/v1/${path}`, { headers: { ...auth(token), ...headers } });
}

/** GET, assert 200, and check the body against the contract the extension validates with. */
async function ok(agent: AgentProcess, name: EndpointName, path: string, token: string | null) {
  const r = await call(agent, path, token);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
  const parsed = endpoints[name].schema.safeParse(r.body);
  assert.ok(parsed.success, `${path} breaks the contract: ${parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 3))}`);
  return r.body;
}

/** A raw request, to send a Host header fetch would not let through. */
function withHost(agent: AgentProcess, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: agent.port, path, headers: { Host: host, ...headers } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Everything a caller can read: every endpoint, every detail, and a few seconds of the event stream. */
async function readEverything(agent: AgentProcess, token: string | null, during?: () => Promise<unknown>): Promise<string> {
  const recording = await recordEventStream(agent.url, auth(token));
  assert.equal(recording.status, 200);
  await during?.();
  let text = "";
  const paths = ["health", "overview", "workers", "tasks?limit=500", "queues", "config", "periodic-tasks", "findings"];
  const { workers } = (await call(agent, "workers", token)).body;
  const { queues } = (await call(agent, "queues", token)).body;
  paths.push(...workers.map((w: any) => `workers/${encodeURIComponent(w.name)}`), ...queues.map((q: any) => `queues/${q.name}`));
  paths.push(...Object.values(ids).flatMap((id) => [`tasks/${id}`, `tasks/${id}/why`]));
  for (const p of paths) text += JSON.stringify((await call(agent, p, token)).body);
  await letTimePass(2000, "the event stream records a few seconds of its batches");
  return text + (await recording.stop());
}

before(async () => {
  s = await startScenario({ agentArgs: ["--token", FULL, "--limited-token", LIMITED, "--limited-token", OTHER_LIMITED] });
  const out = await s.python(`
import json
import panel_fixture as p
from celery.result import AsyncResult
ids = {}
ids["video"] = p.encode_video.apply_async(("${MARK.arg}",), {"quality": "${MARK.kwarg}"}).id
ids["audit"] = p.audit_login.delay("${MARK.result}").id
ids["fail"] = p.fail.delay("${MARK.error}").id
# Held by a worker for a minute: its args show in the worker's scheduled tasks.
ids["later"] = p.encode_video.apply_async(("${MARK.arg}",), countdown=60).id
for key in ["video", "audit", "fail"]:
    AsyncResult(ids[key], app=p.app).get(timeout=20, propagate=False)
print(json.dumps(ids))
`);
  Object.assign(ids, JSON.parse(out.trim().split("\n").pop()!));
  await eventually(
    async () => {
      const r = await call(s.agent, `tasks/${ids.fail}`, FULL);
      return r.status === 200 && r.body.state === "FAILURE" && r.body.traceback;
    },
    20_000,
    "the failed task known with its traceback",
  );
  redacted = await startAgent(["--broker", s.broker, "--result-backend", s.backend, "--redact"]);
  await eventually(async () => (await call(redacted, `tasks/${ids.fail}`, null)).body.traceback, 20_000, "the redacting agent read the history");
});

after(async () => {
  await stopAll();
  await s?.redis.destroy();
});

describe("listening", () => {
  it("listens on 127.0.0.1 when not told otherwise", () => {
    assert.match(s.agent.output(), /listening on http:\/\/127\.0\.0\.1:\d+/);
  });
});

describe("tokens", () => {
  it("refuses every /api request without the token, or with a wrong one, with 401", async () => {
    for (const path of ["health", "overview", "workers", "tasks", `tasks/${ids.video}`, "queues", "config", "periodic-tasks", "events", "nope"]) {
      for (const token of [null, "wrong-token-0123456789", "x", FULL.slice(0, -1), `${FULL}x`]) {
        const r = await call(s.agent, path, token);
        assert.equal(r.status, 401, `${path} with ${token}`);
        assert.equal(r.body.error.code, "unauthorized");
        assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
      }
    }
    const basic = await call(s.agent, "health", null, { Authorization: `Basic ${Buffer.from(`u:${FULL}`).toString("base64")}` });
    assert.equal(basic.status, 401, "only a Bearer token counts");
  });

  it("answers the full token and each limited token, and says which access the caller has", async () => {
    const full = await ok(s.agent, "health", "health", FULL);
    assert.deepEqual(full.access, { token: "full", scopes: ["config", "task_payloads"], redacted: false });
    for (const token of [LIMITED, OTHER_LIMITED]) {
      const limited = await ok(s.agent, "health", "health", token);
      assert.deepEqual(limited.access, { token: "limited", scopes: [], redacted: false });
    }
  });
});

describe("a limited token", () => {
  it("gets 403 with a message from the config endpoint", async () => {
    const r = await call(s.agent, "config", LIMITED);
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, "forbidden_scope");
    assert.match(r.body.error.message, /limited.*Configuration view/);
    assert.equal((await call(s.agent, "config", FULL)).status, 200);
  });

  it("sees task payloads marked hidden, in lists and in the detail", async () => {
    const list = await ok(s.agent, "tasks", "tasks?limit=500", LIMITED);
    const video = list.tasks.find((t: any) => t.id === ids.video);
    assert.equal(video.name, "panel_fixture.encode_video", "what is not payload stays");
    assert.equal(video.args.format, "hidden");
    assert.match(video.args.reason, /limited/);
    assert.equal(video.result.format, "hidden");
    const failed = await ok(s.agent, "task", `tasks/${ids.fail}`, LIMITED);
    assert.equal(failed.exception.format, "hidden");
    assert.equal(failed.exception_info.type, "ValueError", "the exception's type is code, not data");
    assert.equal(failed.exception_info.message.format, "hidden");
    assert.equal(failed.traceback.format, "hidden");
    assert.equal(failed.args_value.format, "hidden");
    assert.ok(failed.timeline.some((e: any) => e.type === "task-failed" && e.detail?.format === "hidden"));
    const full = await ok(s.agent, "task", `tasks/${ids.fail}`, FULL);
    assert.deepEqual(full.args_value, { format: "json", value: [MARK.error] });
    assert.match(full.traceback, new RegExp(MARK.error));
    const periodic = await ok(s.agent, "periodicTasks", "periodic-tasks", LIMITED);
    assert.equal(periodic.periodic_tasks.find((e: any) => e.name === "heartbeat-every-30s").args.format, "hidden");
  });

  it("cannot read a payload from any endpoint or the event stream", async () => {
    const fresh = () => s.python(`import panel_fixture as p; p.audit_login.delay("${MARK.result}").get(timeout=20); p.fail.delay("${MARK.error}")`);
    const limited = await readEverything(s.agent, LIMITED, fresh);
    assert.match(limited, /"format":"hidden"/);
    for (const m of Object.values(MARK)) assert.ok(!limited.includes(m), `${m} reached a limited token`);
    // The same reading with the full token does find them: the check above can fail.
    const full = await readEverything(s.agent, FULL, fresh);
    for (const m of Object.values(MARK)) assert.ok(full.includes(m), `${m} not seen even with the full token`);
  });

  it("cannot find tasks by what their payloads hold, only by id and name", async () => {
    for (const m of Object.values(MARK)) {
      const q = encodeURIComponent(m.slice(4));
      assert.ok((await ok(s.agent, "tasks", `tasks?q=${q}`, FULL)).total >= 1, `full token finds ${m}`);
      const probe = await ok(s.agent, "tasks", `tasks?q=${q}`, LIMITED);
      assert.equal(probe.total, 0, `limited token found tasks by ${m}`);
      assert.deepEqual(probe.tasks, []);
    }
    const byName = await ok(s.agent, "tasks", "tasks?q=encode_vid", LIMITED);
    assert.ok(byName.tasks.some((t: any) => t.id === ids.video));
    assert.ok(byName.tasks.every((t: any) => t.name === "panel_fixture.encode_video"));
    const byId = await ok(s.agent, "tasks", `tasks?q=${ids.fail!.slice(0, 13)}`, LIMITED);
    assert.deepEqual(
      byId.tasks.map((t: any) => t.id),
      [ids.fail],
    );
  });

  it("pages through a name search with cursors, as the full token does", async () => {
    const all = await ok(s.agent, "tasks", "tasks?q=panel_fixture&limit=500", FULL);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await ok(s.agent, "tasks", `tasks?q=panel_fixture&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, LIMITED);
      assert.equal(page.total, all.total);
      seen.push(...page.tasks.map((t: any) => t.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.tasks.map((t: any) => t.id),
    );
  });
});

describe("--redact", () => {
  it("hides task payloads from everyone, says so in health, and still serves the configuration", async () => {
    const h = await ok(redacted, "health", "health", null);
    assert.deepEqual(h.access, { token: "none", scopes: ["config"], redacted: true });
    const t = await ok(redacted, "task", `tasks/${ids.video}`, null);
    assert.equal(t.kwargs_value.format, "hidden");
    assert.match(t.kwargs_value.reason, /--redact/);
    await ok(redacted, "config", "config", null);
    const text = await readEverything(redacted, null);
    for (const m of Object.values(MARK)) assert.ok(!text.includes(m), `${m} shown despite --redact`);
    assert.equal((await ok(redacted, "tasks", `tasks?q=${MARK.kwarg.slice(4)}`, null)).total, 0);
  });
});

describe("Host header", () => {
  it("answers loopback names and refuses any other Host with 403, before the token is even looked at", async () => {
    for (const host of ["127.0.0.1", `127.0.0.1:${s.agent.port}`, "localhost", `localhost:${s.agent.port}`, `[::1]:${s.agent.port}`]) {
      assert.equal((await withHost(s.agent, "/api/v1/health", host, auth(FULL))).status, 200, host);
    }
    for (const host of ["evil.example", `evil.example:${s.agent.port}`, "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.5"]) {
      const r = await withHost(s.agent, "/api/v1/health", host, auth(FULL));
      assert.equal(r.status, 403, host);
      assert.equal(JSON.parse(r.body).error.code, "forbidden_host");
      assert.equal((await withHost(s.agent, "/", host)).status, 403, `the web panel too, for ${host}`);
    }
  });

  it("also answers the names given in --allowed-hosts", async () => {
    const agent = await startAgent(["--broker", s.broker, "--allowed-hosts", "panel.example.com,Other.Example"]);
    assert.equal((await withHost(agent, "/api/v1/health", "panel.example.com")).status, 200);
    assert.equal((await withHost(agent, "/api/v1/health", "other.example:443")).status, 200);
    assert.equal((await withHost(agent, "/api/v1/health", "evil.example")).status, 403);
    await agent.stop();
  });
});

describe("refusals in health", () => {
  it("counts refused tokens and hosts", async () => {
    const h = await ok(s.agent, "health", "health", FULL);
    assert.ok(h.http_rejected["401 unauthorized"] >= 50, JSON.stringify(h.http_rejected));
    assert.ok(h.http_rejected["403 forbidden_host"] >= 5, JSON.stringify(h.http_rejected));
    assert.ok(h.http_rejected["403 forbidden_scope"] >= 1, JSON.stringify(h.http_rejected));
  });
});

describe("CORS", () => {
  it("lets extension origins read, and nobody else; never a wildcard", async () => {
    for (const origin of ["chrome-extension://abcdefghijklmnop", "moz-extension://0a1b2c3d-aaaa-bbbb-cccc-111122223333"]) {
      const r = await call(s.agent, "health", FULL, { Origin: origin });
      assert.equal(r.headers.get("access-control-allow-origin"), origin);
      const pre = await s.agent.get("/api/v1/health", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
      });
      assert.equal(pre.status, 204);
      assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    }
    for (const origin of ["https://evil.example", "http://127.0.0.1:8000", "null", "chrome-extension://abc.evil.example"]) {
      const r = await call(s.agent, "health", FULL, { Origin: origin });
      assert.equal(r.headers.get("access-control-allow-origin"), null, origin);
      const pre = await s.agent.get("/api/v1/health", { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "GET" } });
      assert.equal(pre.status, 403, origin);
      assert.equal(pre.headers.get("access-control-allow-origin"), null);
    }
    const none = await call(s.agent, "health", FULL);
    assert.equal(none.headers.get("access-control-allow-origin"), null);
  });
});
