/**
 * The extension with a limited token, against a real worker: task payloads show as hidden (list,
 * detail, timeline), the Configuration view says why it is not shown, the navigation bar says the
 * token is limited, and no token ever reaches the console. Needs `npm run build`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { launchExtension, waitForText, type ExtensionBrowser } from "../harness/browser";

const FULL = "e2e-full-token-123";
const LIMITED = "e2e-limited-token-456";
const MARK = "pii-e2e-marker-jane@example.com";

describe("extension with a limited token", () => {
  let redis: RedisServer;
  let agent: AgentProcess;
  let browser: ExtensionBrowser;
  let panel: Page;
  let failedId: string;
  const consoleLines: string[] = [];

  const open = (hash: string, view: string) => browser.showView(panel, hash, view);

  before(async () => {
    redis = await RedisServer.start();
    const broker = redis.url(0);
    const backend = redis.url(1);
    await CeleryWorker.start({ broker, backend, name: "solo@access", pool: "solo" });
    agent = await startAgent(["--broker", broker, "--result-backend", backend, "--token", FULL, "--limited-token", LIMITED, "--name", "limited"]);
    failedId = (
      await runPython(`import panel_fixture as p; r = p.fail.delay("${MARK}"); print(r.id); r.get(timeout=20, propagate=False)`, broker, backend)
    ).trim();
    await eventually(
      async () => (await agent.get<any>(`/api/v1/tasks/${failedId}`, { headers: { Authorization: `Bearer ${FULL}` } })).body.traceback,
      20_000,
      "failed task known",
    );
    browser = await launchExtension();
    browser.context.on("console", (m) => consoleLines.push(m.text()));
    browser.context.on("page", (p) => p.on("console", (m) => consoleLines.push(m.text())));
    await browser.setAgents([{ id: "limited", name: "limited", url: agent.url, token: LIMITED }], "limited");
    panel = await browser.open("panel.html");
    panel.on("console", (m) => consoleLines.push(m.text()));
  });

  after(async () => {
    await browser?.close();
    await stopAll();
    await redis?.destroy();
  });

  it("marks the token as limited in the navigation bar", async () => {
    await open("overview", "overview");
    const note = await waitForText(panel, "nav.navbar", /limited token/);
    assert.match(note, /limited token/);
    assert.match((await panel.locator(".access-note").getAttribute("title")) ?? "", /Configuration view.*task arguments/);
  });

  it("shows task payloads as hidden in the list and the detail, never the values", async () => {
    await open("tasks", "tasks");
    await waitForText(panel, '[data-view="tasks"] table', /panel_fixture\.fail/);
    assert.match(await panel.locator('[data-view="tasks"] table').innerText(), /\(hidden\)/);
    await open(`tasks/${failedId}`, "task");
    await waitForText(panel, '[data-view="task"]', /ValueError/);
    const detail = await panel.locator('[data-view="task"]').innerText();
    assert.match(await panel.locator('[data-value="args"]').innerText(), /hidden: this token is limited/);
    assert.match(detail, /Traceback\s*\(hidden\)/);
    assert.ok(!detail.includes(MARK), "a payload reached the page");
    assert.ok(!detail.includes("[object Object]"), "a hidden marker rendered as an object");
    assert.ok(!(await panel.content()).includes(MARK));
  });

  it("says why the Configuration view is not shown, instead of an error", async () => {
    await open("config", "config");
    const text = await waitForText(panel, "[data-failure=forbidden]", /Not available with this token/);
    assert.match(text, /may not see the Configuration view/);
    assert.equal(await panel.locator(".error-box").count(), 0);
  });

  it("never prints a token to the console", async () => {
    await browser.setAgents([{ id: "full", name: "full", url: agent.url, token: FULL }], "full");
    await open("overview", "overview");
    await panel.reload();
    await panel.locator('[data-view="overview"]').waitFor();
    const all = consoleLines.join("\n");
    assert.ok(!all.includes(FULL) && !all.includes(LIMITED), `a token in the console:\n${all.slice(0, 2000)}`);
  });
});
