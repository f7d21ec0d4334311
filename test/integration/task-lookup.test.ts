/**
 * `POST /api/v1/tasks/lookup` against real workers: the ids a page's traffic carried, answered with
 * the known tasks only (rows plus children), payloads hidden for a limited token, bad bodies refused
 * with a 400 that names the fault, and CORS letting only extension origins send it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { endpoints } from "../../agent/api/schema";
import { eventually, stopAll } from "../harness/deployment";
import { startScenario, type Scenario } from "../harness/scenario";

const FULL = "full-token-lookup-0123";
const LIMITED = "limited-token-lookup-9";
const MARK = "lookup-result-mark";
const EXTENSION = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

let s: Scenario;
let ids: { add: string; audit: string; fail: string; chainHead: string; chainChild: string };

async function lookup(body: unknown, token: string | null = FULL, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return s.agent.get<any>("/api/v1/tasks/lookup", {
    method: "POST",
    body: text,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

before(async () => {
  s = await startScenario({ agentArgs: ["--token", FULL, "--limited-token", LIMITED] });
  const out = await s.python(`
import json
from celery import chain
import panel_fixture as p
from celery.result import AsyncResult
ids = {}
ids["add"] = p.add.delay(2, 3).id
ids["audit"] = p.audit_login.delay("${MARK}").id
ids["fail"] = p.fail.delay("lookup-boom").id
head = chain(p.add.s(1, 1), p.add.s(10)).apply_async()
ids["chainChild"] = head.id
ids["chainHead"] = head.parent.id
for key in ids:
    AsyncResult(ids[key], app=p.app).get(timeout=20, propagate=False)
print(json.dumps(ids))
`);
  ids = JSON.parse(out.trim().split("\n").pop()!);
  await eventually(
    async () => {
      const r = await lookup({ ids: [ids.fail, ids.chainChild] });
      const states = r.body.tasks?.map((t: any) => t.state);
      return r.status === 200 && states?.join() === "FAILURE,SUCCESS";
    },
    20_000,
    "the agent knows the finished tasks",
  );
});

after(async () => {
  await stopAll();
  await s?.redis.destroy();
});

describe("lookup of real task ids", () => {
  it("answers the known tasks with their rows, in the order asked, leaving unknown ids and non-task uuids out", async () => {
    const stranger = randomUUID();
    const r = await lookup({ ids: [stranger, ids.add, "not-a-task-at-all", ids.audit, ids.fail, ids.add] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(endpoints.taskLookup.schema.safeParse(r.body).success, "the answer keeps the contract");
    const byId = new Map(r.body.tasks.map((t: any) => [t.id, t]));
    assert.deepEqual(
      r.body.tasks.map((t: any) => t.id),
      [ids.add, ids.audit, ids.fail],
    );
    assert.equal((byId.get(ids.add) as any).state, "SUCCESS");
    assert.equal((byId.get(ids.add) as any).name, "panel_fixture.add");
    assert.equal((byId.get(ids.add) as any).result, "5");
    assert.ok((byId.get(ids.add) as any).runtime >= 0);
    assert.match((byId.get(ids.audit) as any).result, new RegExp(MARK));
    assert.equal((byId.get(ids.fail) as any).state, "FAILURE");
    assert.match((byId.get(ids.fail) as any).exception, /lookup-boom/);
  });

  it("gives a chain's first task its child, and the child its parent and root", async () => {
    const r = await eventually(
      async () => {
        const got = await lookup({ ids: [ids.chainHead, ids.chainChild] });
        return got.body.tasks?.[0]?.children?.length ? got : null;
      },
      10_000,
      "the chain's head has its child",
    );
    const [head, child] = r.body.tasks;
    assert.deepEqual(head.children, [ids.chainChild]);
    assert.equal(child.parent_id, ids.chainHead);
    assert.equal(child.root_id, ids.chainHead);
    assert.equal(child.result, "12");
  });

  it("answers an empty list with no tasks", async () => {
    const r = await lookup({ ids: [] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.tasks, []);
  });
});

describe("access", () => {
  it("hides results and exceptions from a limited token exactly as the task list does", async () => {
    const r = await lookup({ ids: [ids.audit, ids.fail] }, LIMITED);
    assert.equal(r.status, 200);
    assert.doesNotMatch(JSON.stringify(r.body), new RegExp(`${MARK}|lookup-boom`));
    const [audit, fail] = r.body.tasks;
    assert.equal(audit.state, "SUCCESS");
    assert.equal(audit.result.format, "hidden");
    assert.equal(fail.exception.format, "hidden");
    const list = await s.agent.get<any>(`/api/v1/tasks?q=${ids.audit}`, { headers: { Authorization: `Bearer ${LIMITED}` } });
    assert.deepEqual(audit.result, list.body.tasks[0].result);
  });

  it("refuses a caller without the token", async () => {
    assert.equal((await lookup({ ids: [ids.add] }, null)).status, 401);
    assert.equal((await lookup({ ids: [ids.add] }, "wrong-token-lookup-0")).status, 401);
  });

  it("lets an extension origin, and no web page, through CORS for the POST", async () => {
    const preflight = (origin: string) =>
      s.agent.get("/api/v1/tasks/lookup", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
      });
    const ext = await preflight(EXTENSION);
    assert.equal(ext.status, 204);
    assert.match(ext.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.equal((await preflight("https://evil.example")).status, 403);
    const fromPage = await lookup({ ids: [ids.add] }, FULL, { Origin: "https://evil.example" });
    assert.equal(fromPage.headers.get("access-control-allow-origin"), null);
    const fromExtension = await lookup({ ids: [ids.add] }, FULL, { Origin: EXTENSION });
    assert.equal(fromExtension.headers.get("access-control-allow-origin"), EXTENSION);
  });
});

describe("bad bodies", () => {
  const cases: [string, string | object, RegExp][] = [
    ["not JSON", "{ids: [", /not JSON/],
    ["no ids", {}, /ids/],
    ["ids not a list", { ids: "abc" }, /ids/],
    ["an id not a string", { ids: [ids?.add ?? "x", 42] }, /ids\[1\]/],
    ["an unknown field", { ids: [], extra: 1 }, /unknown field extra/],
    ["an id that is no task id", { ids: ["a b/c"] }, /is not a task id/],
    ["too many ids", { ids: Array.from({ length: 501 }, () => randomUUID()) }, /at most 500/],
  ];
  for (const [what, body, message] of cases) {
    it(`refuses ${what} with a 400 naming the fault`, async () => {
      const r = await lookup(body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "bad_request");
      assert.match(r.body.error.message, message);
    });
  }

  it("refuses a body not sent as JSON (a web page's simple POST) with a 400", async () => {
    const r = await lookup({ ids: [] }, FULL, { "Content-Type": "text/plain" });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /Content-Type: application\/json/);
  });

  it("answers a GET of the lookup path as no task, not as the lookup", async () => {
    const r = await s.agent.get<any>("/api/v1/tasks/lookup", { headers: { Authorization: `Bearer ${FULL}` } });
    assert.equal(r.status, 404);
  });
});
