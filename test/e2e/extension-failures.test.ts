/**
 * What the extension shows when an agent cannot be read: a wrong token, nothing listening, and
 * an answer that fails the schema (a small proxy in front of the real agent breaks one field).
 * Each failure stays in its place: the rest of the panel keeps working. Needs `npm run build`.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Page } from "playwright-core";
import { eventually, freePort, RedisServer, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { launchExtension, refreshStatuses, waitForText, type ExtensionBrowser } from "../harness/browser";

const TOKEN = "e2e-token-123";

/** Forwards to the agent, but answers /api/v1/overview with `workers.online` as a string. */
async function startBreakingProxy(target: string): Promise<{ url: string; server: Server }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(target + req.url, { headers: { authorization: req.headers.authorization ?? "", accept: req.headers.accept ?? "*/*" } });
      if (req.url === "/api/v1/overview" && upstream.ok) {
        const body = (await upstream.json()) as { workers: { online: unknown } };
        body.workers.online = "two";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      // The event stream ends with an error when the agent stops: that is expected here.
      if (upstream.body) await pipeline(Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream), res).catch(() => undefined);
      else res.end();
    })().catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

describe("extension when agents fail", () => {
  let redis: RedisServer;
  let agent: AgentProcess;
  let proxy: { url: string; server: Server };
  let downUrl: string;
  let browser: ExtensionBrowser;
  let panel: Page;

  const use = async (id: string, hash = "overview") => {
    await browser.setAgents(agents(), id);
    await panel.goto(`chrome-extension://${browser.extensionId}/panel.html#/${hash}`);
    await panel.reload();
  };
  const agents = () => [
    { id: "good", name: "secured", url: agent.url, token: TOKEN },
    // The same agent under another host name, with a token it refuses.
    { id: "wrong", name: "wrong-token", url: agent.url.replace("127.0.0.1", "localhost"), token: "not-the-token" },
    { id: "down", name: "down", url: downUrl, token: null },
    { id: "broken", name: "broken", url: proxy.url, token: TOKEN },
  ];

  before(async () => {
    redis = await RedisServer.start();
    agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--token", TOKEN, "--name", "secured"]);
    proxy = await startBreakingProxy(agent.url);
    downUrl = `http://127.0.0.1:${await freePort()}`;
    browser = await launchExtension();
    panel = await browser.open("panel.html");
  });

  after(async () => {
    await browser?.close();
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await stopAll();
    await redis?.destroy();
  });

  it("reads the agent with the right token", async () => {
    await use("good");
    const text = await waitForText(panel, "main", /Workers online/);
    assert.match(text, /0\s*Workers online/);
    await waitForText(panel, "[data-live]", /Live/);
  });

  it("shows unauthorized for a wrong token, in the view, the stream indicator and the popup", async () => {
    await use("wrong");
    const error = await waitForText(panel, "[data-failure=unauthorized]", /Unauthorized/);
    assert.match(error, /edit the agent to set it/);
    await waitForText(panel, "[data-live]", /Stream down · polling every 5 s/);
    await browser.screenshot(panel, "panel-unauthorized");
    const popup = await browser.open("popup.html");
    await waitForText(popup, 'li[data-agent="wrong-token"]', /unauthorized/);
    await popup.close();
  });

  it("shows why an agent is unreachable", async () => {
    await use("down", "workers");
    const error = await waitForText(panel, "[data-failure=unreachable]", /Unreachable/);
    assert.match(error, new RegExp(`^Unreachable: cannot connect to ${downUrl.replace(/\./g, "\\.")} \\(Failed to fetch\\): is the agent running there\\?`));
    await browser.screenshot(panel, "panel-unreachable");
  });

  it("names the endpoint and field of a response that fails the schema, and the other views keep working", async () => {
    await use("broken");
    const error = await waitForText(panel, "[data-failure=invalid]", /Invalid response/);
    assert.match(error, /^Invalid response from \/api\/v1\/overview: field workers\.online: /);
    // The navigation and the other views are unaffected.
    await waitForText(panel, "nav.navbar", /Configuration/);
    await browser.screenshot(panel, "panel-invalid-response");
    await panel.click("nav.navbar >> text=Configuration");
    await waitForText(panel, "main", /Name\s*secured/, 20_000);
    await panel.click("nav.navbar >> text=Periodic Tasks");
    await panel.locator('[data-view="periodic"] .source-line').waitFor();
  });

  it("marks the badge with ! and names each agent's trouble in its title", async () => {
    const badge = await eventually(
      async () => {
        await refreshStatuses(panel);
        const b = await browser.badge();
        return b.text === "!" && b.title.includes("broken:") ? b : null;
      },
      20_000,
      "badge shows !",
    );
    const lines = badge.title.split("\n");
    assert.equal(lines[0], "Celery Panel");
    assert.equal(lines[1], "secured: 0 offline workers");
    assert.match(lines[2] ?? "", /^wrong-token: unauthorized \(/);
    assert.match(lines[3] ?? "", /^down: unreachable \(cannot connect to http:\/\/127\.0\.0\.1:\d+/);
    assert.match(lines[4] ?? "", /^broken: Invalid response from \/api\/v1\/overview: field workers\.online/);
  });
});
