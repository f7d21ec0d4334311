/**
 * The "This page" store (extension/panel/page/page-tasks.ts) between devtools and the agent: here a
 * stand-in agent that knows a set of tasks, and a stand-in devtools network (the end-to-end test,
 * test/e2e/page-tasks.test.ts, runs it against a real agent and real workers). What is checked: ids
 * retried until the agent knows them, unknown ones dropped after the retries, the list bounded
 * with the tasks only old requests led to, navigation, and no reading while the panel is hidden.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AgentClient } from "../../extension/api/client";
import type { StreamEvent } from "../../extension/api/events";
import type { LiveFeed } from "../../extension/panel/live";
import { PANEL_SHOWN_EVENT, type FinishedRequest, type PageNetwork } from "../../extension/panel/page/page-network";
import { MAX_REQUESTS, PageTasks } from "../../extension/panel/page/page-tasks";
import { eventually } from "../harness/deployment";

// The panel page's window, where devtools.ts tells it whether it is shown (Node has no window events).
const target = new EventTarget();
Object.assign(globalThis, { addEventListener: target.addEventListener.bind(target), removeEventListener: target.removeEventListener.bind(target) });

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function row(id: string, over: Record<string, unknown> = {}) {
  return {
    ...{ id, name: "app.add", state: "PENDING", args: null, kwargs: null, result: null, exception: null, sent: null, received: null },
    ...{ started: null, finished: null, runtime: null, worker: null, queue: null, retries: null, root_id: null, parent_id: null, children: [] },
    ...over,
  } as never;
}

/** An agent that knows `known` (ids may be added later) and counts how often each id was asked. */
function agent(known: Map<string, unknown>) {
  const asked = new Map<string, number>();
  const client = {
    async post(_endpoint: string, body: { ids: string[] }) {
      for (const id of body.ids) asked.set(id, (asked.get(id) ?? 0) + 1);
      return { kind: "ok", data: { tasks: body.ids.flatMap((id) => (known.has(id) ? [known.get(id)] : [])) } };
    },
  } as unknown as AgentClient;
  return { client, asked };
}

function network() {
  const finished = new Set<(r: FinishedRequest) => void>();
  const navigated = new Set<(url: string) => void>();
  const event = <L>(set: Set<L>) => ({ addListener: (l: L) => void set.add(l), removeListener: (l: L) => void set.delete(l) });
  const net: PageNetwork = { onRequestFinished: event(finished), onNavigated: event(navigated) };
  const finish = (url: string, body: unknown) => {
    const text = JSON.stringify(body);
    const entry: FinishedRequest = {
      startedDateTime: new Date().toISOString(),
      time: 5,
      request: { method: "POST", url, headers: [] },
      response: { status: 200, headers: [], content: { size: text.length, mimeType: "application/json" } },
      getContent: (callback) => callback(text, ""),
    };
    for (const l of finished) l(entry);
  };
  return {
    net,
    finish,
    navigate: (url = "http://app.test/") => {
      for (const l of navigated) l(url);
    },
    listening: () => finished.size,
  };
}

function live() {
  const listeners = new Set<(e: StreamEvent) => void>();
  const feed = { onEvent: (l: (e: StreamEvent) => void) => (listeners.add(l), () => listeners.delete(l)) } as unknown as LiveFeed;
  return {
    feed,
    emit: (e: StreamEvent) => {
      for (const l of listeners) l(e);
    },
  };
}

/** A PageTasks on the stand-in network, asking agent "a" through `client`; the origin is never known. */
function connected(client: AgentClient, feed: LiveFeed, net: PageNetwork, askOrigin: (callback: (origin: string | null) => void) => void = () => undefined) {
  const page = new PageTasks(net, askOrigin);
  page.connect("a", client, feed);
  return page;
}

describe("PageTasks", () => {
  it("asks again about an id the agent did not know yet, and keeps it once known", async () => {
    const known = new Map<string, unknown>();
    const { client, asked } = agent(known);
    const { net, finish } = network();
    const page = connected(client, live().feed, net);
    finish("http://app.test/orders", { job: uuid(1) });
    await eventually(async () => asked.get(uuid(1)) === 1, 5000, "the first lookup");
    known.set(uuid(1), row(uuid(1), { state: "SUCCESS" }));
    await eventually(async () => page.tasks.has(uuid(1)), 5000, "found on a retry");
    assert.equal(page.hasTasks, true);
    page.close();
  });

  it("takes a task's later states and its new children from the event stream", async () => {
    const known = new Map<string, unknown>([[uuid(1), row(uuid(1), { state: "STARTED" })]]);
    const { client } = agent(known);
    const { net, finish } = network();
    const stream = live();
    const page = connected(client, stream.feed, net);
    finish("http://app.test/orders", { job: uuid(1) });
    await eventually(async () => page.tasks.has(uuid(1)), 5000, "the lookup");
    stream.emit({ type: "task", data: row(uuid(1), { state: "SUCCESS" }) });
    stream.emit({ type: "task", data: row(uuid(2), { parent_id: uuid(1) }) });
    stream.emit({ type: "task", data: row(uuid(9)) });
    assert.equal(page.tasks.get(uuid(1))?.state, "SUCCESS");
    assert.deepEqual(page.tasks.get(uuid(1))?.children, [uuid(2)]);
    assert.equal(page.tasks.has(uuid(9)), false, "a task no request of the page led to");
    page.close();
  });

  it(`keeps the last ${MAX_REQUESTS} requests, and only the tasks they lead to`, async () => {
    const known = new Map<string, unknown>();
    for (let i = 1; i <= MAX_REQUESTS + 1; i++) known.set(uuid(i), row(uuid(i)));
    const { client } = agent(known);
    const { net, finish } = network();
    const page = connected(client, live().feed, net);
    for (let i = 1; i <= MAX_REQUESTS + 1; i++) finish(`http://app.test/${i}`, { job: uuid(i) });
    await eventually(async () => page.tasks.has(uuid(MAX_REQUESTS + 1)), 5000, "the lookups");
    assert.equal(page.requests.length, MAX_REQUESTS);
    assert.equal(page.requests[0]?.url, "http://app.test/2");
    finish("http://app.test/again", { job: uuid(MAX_REQUESTS + 1) });
    assert.equal(page.tasks.has(uuid(1)), false, "the oldest request's task went with it");
    page.close();
  });

  it("clears on navigation unless the log is preserved", async () => {
    const { client } = agent(new Map([[uuid(1), row(uuid(1))]]));
    const { net, finish, navigate } = network();
    const page = connected(client, live().feed, net);
    finish("http://app.test/orders", { job: uuid(1) });
    await eventually(async () => page.hasTasks, 5000, "the lookup");
    page.setPreserveLog(true);
    navigate();
    assert.equal(page.hasTasks, true);
    page.setPreserveLog(false);
    navigate();
    assert.equal(page.requests.length, 0);
    page.close();
  });

  it("reads no request while the panel is hidden, and none once closed", () => {
    const { client } = agent(new Map());
    const { net, listening } = network();
    const page = connected(client, live().feed, net);
    assert.equal(listening(), 1);
    target.dispatchEvent(new CustomEvent(PANEL_SHOWN_EVENT, { detail: false }));
    assert.equal(listening(), 0);
    target.dispatchEvent(new CustomEvent(PANEL_SHOWN_EVENT, { detail: true }));
    assert.equal(listening(), 1);
    page.close();
    assert.equal(listening(), 0);
  });

  it("asks another agent about every kept id once connected to it, dropping what the first one said", async () => {
    const first = agent(new Map([[uuid(1), row(uuid(1), { state: "SUCCESS" })]]));
    const second = agent(new Map([[uuid(2), row(uuid(2), { state: "STARTED" })]]));
    const { net, finish } = network();
    const stream = live();
    const page = connected(first.client, stream.feed, net);
    finish("http://app.test/orders", { job: uuid(1), other: uuid(2) });
    await eventually(async () => page.tasks.has(uuid(1)), 5000, "the first agent's lookup");
    page.connect("b", second.client, live().feed);
    assert.equal(page.agentId, "b");
    await eventually(async () => page.tasks.has(uuid(2)), 5000, "the second agent's lookup");
    assert.equal(page.tasks.has(uuid(1)), false, "the first agent's task is not the second's");
    assert.equal(second.asked.get(uuid(1)), 1, "the second agent was asked about every kept id");
    stream.emit({ type: "task", data: row(uuid(2), { state: "FAILURE" }) });
    assert.equal(page.tasks.get(uuid(2))?.state, "STARTED", "the first agent's stream is no longer followed");
    page.close();
  });

  it("knows the page's origin from devtools, then from each navigation", () => {
    const { net, navigate } = network();
    const page = connected(agent(new Map()).client, live().feed, net, (callback) => callback("http://shop.test"));
    assert.equal(page.origin, "http://shop.test");
    navigate("https://admin.test:8443/users?x=1");
    assert.equal(page.origin, "https://admin.test:8443");
    page.close();
  });

  it("finds a descendant whose parent it did not know through its root_id", async () => {
    const known = new Map<string, unknown>([
      [uuid(1), row(uuid(1), { state: "SUCCESS" })],
      [uuid(2), row(uuid(2), { state: "SUCCESS", parent_id: uuid(1), root_id: uuid(1), children: [uuid(3)] })],
    ]);
    const { client } = agent(known);
    const { net, finish } = network();
    const stream = live();
    const page = connected(client, stream.feed, net);
    finish("http://app.test/orders", { job: uuid(1) });
    await eventually(async () => page.tasks.has(uuid(1)), 5000, "the lookup");
    // Its parent uuid(2) came and went before the lookup (the agent's answer had no children yet).
    stream.emit({ type: "task", data: row(uuid(3), { state: "STARTED", parent_id: uuid(2), root_id: uuid(1) }) });
    await eventually(async () => page.tasks.get(uuid(2))?.children.includes(uuid(3)), 5000, "the parent asked for");
    assert.equal(page.tasks.get(uuid(3))?.state, "STARTED");
    page.close();
  });
});
