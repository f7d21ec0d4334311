/** The agent client: URL and auth header, and how every kind of answer maps to a typed result. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAgentClient, endpointPath, formatIssuePath } from "../../extension/api/client";
import { describeFailure } from "../../extension/api/result";

const WORKER = {
  name: "w1@host",
  hostname: "host",
  status: "online",
  status_detail: null,
  busy: false,
  pool: "prefork",
  concurrency: 2,
  active: 0,
  processed: 5,
  loadavg: [0.1, 0.2, 0.3],
  last_heartbeat: "2026-01-01T00:00:00Z",
  heartbeat_interval: 2,
  sw_ver: "5.4.0",
  sw_ident: "py-celery",
  sw_sys: "Linux",
  pid: 42,
  clock_skew: null,
  queues: ["celery"],
};

interface Call {
  url: string;
  headers: Record<string, string>;
}

/** A fetch that records each call and answers with `respond`. */
function fakeFetch(respond: (url: string) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), headers: (init?.headers ?? {}) as Record<string, string> });
    return respond(String(input));
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("agent client", () => {
  it("builds the URL from the endpoint table, with encoded params and query, and sends the token", async () => {
    const { fetch, calls } = fakeFetch(() => json({ ...WORKER, extra_from_newer_agent: true }));
    const client = createAgentClient({ url: "http://127.0.0.1:5555/", token: "s3cret" }, { fetch });
    await client.get("worker", { params: { name: "w1@host" } });
    await client.get("tasks", { query: { state: "FAILURE,RETRY", q: "", limit: 50, cursor: undefined } });
    assert.equal(calls[0]?.url, "http://127.0.0.1:5555/api/v1/workers/w1%40host");
    assert.equal(calls[0]?.headers.Authorization, "Bearer s3cret");
    assert.equal(calls[1]?.url, "http://127.0.0.1:5555/api/v1/tasks?state=FAILURE%2CRETRY&limit=50");
  });

  it("sends no Authorization header without a token", async () => {
    const { fetch, calls } = fakeFetch(() => json({ workers: [], source: "events" }));
    await createAgentClient({ url: "http://localhost:5555" }, { fetch }).get("workers");
    assert.equal(calls[0]?.headers.Authorization, undefined);
  });

  it("returns the parsed data and tolerates unknown fields", async () => {
    const { fetch } = fakeFetch(() => json({ workers: [{ ...WORKER, gpu: "none" }], source: "events", shards: 3 }));
    const result = await createAgentClient({ url: "http://localhost:5555" }, { fetch }).get("workers");
    assert.equal(result.kind, "ok");
    assert.equal(result.kind === "ok" && result.data.workers[0]?.name, "w1@host");
  });

  it("names the endpoint and the field path when the body does not match the schema", async () => {
    const { fetch } = fakeFetch(() => json({ workers: [{ ...WORKER, status: "zombie" }], source: "events" }));
    const result = await createAgentClient({ url: "http://localhost:5555" }, { fetch }).get("workers");
    assert.equal(result.kind, "invalid");
    if (result.kind !== "invalid") return;
    assert.equal(result.endpoint, "/api/v1/workers");
    assert.equal(result.path, "workers[0].status");
    assert.match(describeFailure(result), /^Invalid response from \/api\/v1\/workers: field workers\[0\]\.status: /);
  });

  it("counts the other issues and says when the body is not JSON", async () => {
    const many = await createAgentClient({ url: "http://h" }, { fetch: fakeFetch(() => json({ workers: "none" })).fetch }).get("workers");
    assert.equal(many.kind === "invalid" && many.otherIssues, 1);
    const html = await createAgentClient({ url: "http://h" }, { fetch: fakeFetch(() => new Response("<html>")).fetch }).get("health");
    assert.deepEqual(html.kind === "invalid" && [html.path, html.message], ["(response body)", "not JSON"]);
  });

  it("maps 401 to unauthorized with the agent's message", async () => {
    const { fetch } = fakeFetch(() => json({ error: { code: "unauthorized", message: "a valid token is required" } }, 401));
    const result = await createAgentClient({ url: "http://h", token: "wrong" }, { fetch }).get("overview");
    assert.deepEqual(result, { kind: "unauthorized", endpoint: "/api/v1/overview", message: "a valid token is required" });
  });

  it("maps other statuses to http-error, with the error body when there is one", async () => {
    const withBody = await createAgentClient(
      { url: "http://h" },
      { fetch: fakeFetch(() => json({ error: { code: "not_found", message: "no such task" } }, 404)).fetch },
    ).get("task", { params: { id: "x" } });
    assert.deepEqual(withBody, { kind: "http-error", endpoint: "/api/v1/tasks/x", status: 404, code: "not_found", message: "no such task" });
    const bare = await createAgentClient(
      { url: "http://h" },
      { fetch: fakeFetch(() => new Response("oops", { status: 502, statusText: "Bad Gateway" })).fetch },
    ).get("queues");
    assert.deepEqual(bare, { kind: "http-error", endpoint: "/api/v1/queues", status: 502, code: null, message: "Bad Gateway" });
  });

  it("reports a refused connection as unreachable, naming the origin", async () => {
    const { fetch } = fakeFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const result = await createAgentClient({ url: "http://127.0.0.1:9/base" }, { fetch }).get("health");
    assert.equal(result.kind, "unreachable");
    assert.match(result.kind === "unreachable" ? result.reason : "", /cannot connect to http:\/\/127\.0\.0\.1:9 \(Failed to fetch\)/);
  });

  it("gives up after the timeout", async () => {
    const hanging = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
      )) as typeof globalThis.fetch;
    const result = await createAgentClient({ url: "http://h" }, { fetch: hanging, timeoutMs: 50 }).get("health");
    assert.equal(result.kind, "unreachable");
    assert.match(result.kind === "unreachable" ? result.reason : "", /no answer from http:\/\/h within 0\.1 s/);
  });

  it("refuses an event stream that is not text/event-stream", async () => {
    const { fetch } = fakeFetch(() => json({}));
    const result = await createAgentClient({ url: "http://h" }, { fetch }).openEvents();
    assert.equal(result.kind, "invalid");
    assert.equal(result.kind === "invalid" && result.endpoint, "/api/v1/events");
  });

  it("formats issue paths and endpoint paths", () => {
    assert.equal(formatIssuePath(["tasks", 3, "state"]), "tasks[3].state");
    assert.equal(formatIssuePath([]), "(response body)");
    assert.equal(endpointPath("queue", { name: "a/b" }), "/api/v1/queues/a%2Fb");
  });
});

describe("agent client: the POST endpoints", () => {
  it("POSTs the body as JSON to the table's path and validates the answer with the table's schema", async () => {
    const sent: RequestInit[] = [];
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(init ?? {});
      return json({ tasks: [{ id: "not-enough-fields" }] });
    }) as typeof globalThis.fetch;
    const client = createAgentClient({ url: "http://127.0.0.1:5555", token: "s3cret" }, { fetch });
    const result = await client.post("taskLookup", { ids: ["a", "b"] });
    assert.equal(sent[0]?.method, "POST");
    assert.equal(sent[0]?.body, JSON.stringify({ ids: ["a", "b"] }));
    const headers = sent[0]?.headers as Record<string, string>;
    assert.equal(headers["Content-Type"], "application/json");
    assert.equal(headers.Authorization, "Bearer s3cret");
    assert.equal(result.kind, "invalid", "a row missing its fields breaks the contract");
    assert.equal(result.kind === "invalid" && result.path.startsWith("tasks[0]"), true);
  });

  it("GETs with no method and no body", async () => {
    const sent: RequestInit[] = [];
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(init ?? {});
      return json({ workers: [], source: "events" });
    }) as typeof globalThis.fetch;
    await createAgentClient({ url: "http://127.0.0.1:5555" }, { fetch }).get("workers");
    assert.equal(sent[0]?.method, undefined);
    assert.equal(sent[0]?.body, undefined);
  });
});
