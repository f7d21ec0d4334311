/**
 * Which agent the "This page" view asks (page-agent.ts), and how a request is revealed
 * (page-network.ts) with and without devtools' openResource. The end-to-end test
 * (test/e2e/page-tasks.test.ts) runs both in Chromium; here the cases it does not reach.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Agent } from "../../extension/agents/agents";
import { pageAgentOf } from "../../extension/panel/page/page-agent";
import { originOf, revealRequest } from "../../extension/panel/page/page-network";

const agent = (id: string): Agent => ({ id, name: id, url: `http://127.0.0.1:55${id.length}0`, token: null });
const [local, staging] = [agent("local"), agent("staging")];

describe("pageAgentOf", () => {
  const stored = { agents: [local, staging], pageAgents: { "https://shop.test": "staging", "https://gone.test": "removed" } };
  it("is the agent chosen for the origin", () => assert.equal(pageAgentOf(stored, "https://shop.test", local), staging));
  it("is the current agent for another origin, an unknown one, or a chosen agent since removed", () => {
    assert.equal(pageAgentOf(stored, "https://other.test", local), local);
    assert.equal(pageAgentOf(stored, null, local), local);
    assert.equal(pageAgentOf(stored, "https://gone.test", local), local);
  });
});

describe("originOf", () => {
  it("is a URL's origin, or null where there is none", () => {
    assert.equal(originOf("https://shop.test:8443/cart?x=1"), "https://shop.test:8443");
    assert.equal(originOf("about:blank"), null);
    assert.equal(originOf("not a url"), null);
  });
});

describe("revealRequest", () => {
  const scope = globalThis as Record<string, unknown>;
  const opened: string[] = [];
  scope.open = (url: string) => void opened.push(url);
  afterEach(() => {
    delete scope.chrome;
    opened.length = 0;
  });

  it("asks devtools to reveal the request where it can", async () => {
    const asked: string[] = [];
    scope.chrome = {
      devtools: {
        panels: {
          openResource: (url: string, _l: number, _c: unknown, cb: (r: object) => void) => {
            asked.push(url);
            cb({});
          },
        },
      },
    };
    assert.equal(await revealRequest("http://app.test/orders", "POST"), true);
    assert.deepEqual(asked, ["http://app.test/orders"]);
    assert.deepEqual(opened, []);
  });

  it("opens a GET's URL when devtools cannot reveal it, and never replays a POST", async () => {
    scope.chrome = {
      devtools: { panels: { openResource: (_u: string, _l: number, _c: unknown, cb: (r: object) => void) => cb({ isError: true, code: "E_NOTFOUND" }) } },
    };
    assert.equal(await revealRequest("http://app.test/report.json", "GET"), true);
    assert.equal(await revealRequest("http://app.test/orders", "POST"), false);
    delete scope.chrome;
    assert.equal(await revealRequest("http://app.test/list", "GET"), true);
    assert.deepEqual(opened, ["http://app.test/report.json", "http://app.test/list"]);
  });
});
