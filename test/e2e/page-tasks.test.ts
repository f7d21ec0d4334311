/**
 * The "This page" view in headless Chromium with the built extension, against real workers and a
 * tiny real web app (test/fixtures/page-app.ts) whose POSTs start real Celery tasks.
 *
 * DevTools cannot be opened under playwright (see /work/shared/docs/extension-testing.md), so the
 * panel page is opened as a tab and this test stands in for devtools: before the page loads, it puts
 * at `chrome.devtools.network` an object with the interface the panel reads (onRequestFinished with
 * HAR entries and getContent, onNavigated), then makes real requests to the app from Node and hands
 * each response, headers and body as received, to the panel through it. It also answers for
 * `chrome.devtools.inspectedWindow.eval("location.origin")` (the app's origin) and records the
 * `chrome.devtools.panels.openResource` calls (revealing a request in the Network panel). Everything
 * after that (the id scan, the agent's lookup, the event stream, the view) is the extension's real code.
 * Needs `npm run build` first.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { browserSession, waitForText } from "../harness/browser";
import { letTimePass, startAgent } from "../harness/deployment";
import { startScenario, REDIS_PASSWORD } from "../harness/scenario";
import { startPageApp } from "../fixtures/page-app";

interface FedRequest {
  startedDateTime: string;
  time: number;
  request: { method: string; url: string; headers: { name: string; value: string }[] };
  response: { status: number; headers: { name: string; value: string }[]; content: { size: number; mimeType: string } };
  body: string;
}

/**
 * Runs in the panel page before its scripts: a stand-in for `chrome.devtools.network`. Given as text,
 * not a function: tsx adds helpers to compiled functions that the page does not have.
 */
const FAKE_DEVTOOLS_NETWORK = `
  const finished = new Set();
  const navigated = new Set();
  const event = (set) => ({ addListener: (l) => set.add(l), removeListener: (l) => set.delete(l) });
  const opened = [];
  chrome.devtools = {
    network: { onRequestFinished: event(finished), onNavigated: event(navigated) },
    inspectedWindow: { eval: (expression, callback) => callback(expression === "location.origin" ? globalThis.testOrigin : undefined) },
    panels: { openResource: (url, line, column, callback) => (opened.push(url), callback({ code: "OK" })) },
  };
  globalThis.testOrigin = sessionStorage.getItem("testOrigin");
  globalThis.testNetwork = {
    opened: () => opened,
    listeners: () => finished.size,
    navigate(url) {
      for (const listener of navigated) listener(url);
    },
    finish(entry) {
      const { body, ...har } = entry;
      for (const listener of finished) listener({ ...har, getContent: (callback) => callback(body, "") });
    },
  };
`;

describe("This page: the tasks a page's requests started", () => {
  const session = browserSession(
    async (redis) => {
      const scenario = await startScenario({ redis });
      // A second agent, reachable, on empty databases: it knows none of the app's tasks.
      const other = await startAgent(["--broker", redis.url(2), "--result-backend", redis.url(3), "--name", "other-agent"]);
      return { scenario, other, app: await startPageApp(scenario.broker, scenario.backend) };
    },
    { password: REDIS_PASSWORD },
  );
  let panel: Page;
  after(() => session.deployment?.app.close());

  /** POSTs to the app for real, and hands the response to the panel as devtools would. */
  async function requestFromPage(path: string): Promise<{ status: number; body: string; headers: Headers }> {
    const started = new Date();
    const res = await fetch(`${session.deployment.app.url}${path}`, { method: "POST", headers: { Accept: "application/json" } });
    const body = await res.text();
    const entry: FedRequest = {
      startedDateTime: started.toISOString(),
      time: Date.now() - started.getTime(),
      request: { method: "POST", url: `${session.deployment.app.url}${path}`, headers: [{ name: "Accept", value: "application/json" }] },
      response: {
        status: res.status,
        headers: [...res.headers].map(([name, value]) => ({ name, value })),
        content: { size: body.length, mimeType: res.headers.get("content-type") ?? "" },
      },
      body,
    };
    await panel.evaluate((e) => (globalThis as unknown as { testNetwork: { finish(e: unknown): void } }).testNetwork.finish(e), entry);
    return { status: res.status, body, headers: res.headers };
  }

  it("shows each request with its tasks, live to SUCCESS, and the chain's child", async () => {
    const { browser } = session;
    await browser.context.addInitScript({ content: FAKE_DEVTOOLS_NETWORK });
    await browser.setAgents([{ id: "local", name: "local", url: session.deployment.scenario.agent.url, token: null }]);
    panel = await browser.open("panel.html#/page");
    await panel.locator('[data-view="page"]').waitFor();
    await panel.waitForFunction(() => (globalThis as unknown as { testNetwork: { listeners(): number } }).testNetwork.listeners() > 0);

    const order = await requestFromPage("/orders");
    const orderId = JSON.parse(order.body).order.job.task_id as string;
    const userId = JSON.parse(order.body).user.id as string;
    const report = await requestFromPage("/reports");
    const reportId = report.headers.get("celery-task-id")!;
    assert.equal(JSON.stringify(report.body).includes(reportId), false, "the report's id is only in the header");

    const orders = `[data-request$="/orders"]`;
    const reports = `[data-request$="/reports"]`;
    await waitForText(panel, orders, /POST\s+http:\/\/127\.0\.0\.1:\d+\/orders\s+201/, 20_000);
    // Live: the lookup answers once; later states come only from the event stream (sleep_for runs 6 s).
    const firstState = await panel.locator(`[data-task="${orderId}"] [data-state]`).first().getAttribute("data-state", { timeout: 20_000 });
    console.log(`the order's task first shown as ${firstState}`);
    assert.notEqual(firstState, "SUCCESS", "shown while it still runs (it sleeps 6 s)");
    // Found while it runs: its chain's next task is not sent yet, and comes to the view through the stream.
    const reportFirst = await panel.locator(`[data-task="${reportId}"] [data-state]`).first().getAttribute("data-state", { timeout: 20_000 });
    assert.notEqual(reportFirst, "SUCCESS", "the chain's first task shown while it runs (it sleeps 3 s)");
    await waitForText(panel, `${orders} [data-task="${orderId}"]`, /success\s+panel_fixture\.sleep_for/, 30_000);
    assert.equal(await panel.locator(`[data-task="${userId}"]`).count(), 0, "the user's id is no task: the agent left it out");

    await waitForText(panel, `${reports} [data-task="${reportId}"]`, /success\s+panel_fixture\.sleep_for[\s\S]*→ 3/, 30_000);
    const chain = await waitForText(panel, `${reports} [data-task="${reportId}"] ul`, /success\s+panel_fixture\.add[^\n]*→ 12/, 30_000);
    assert.match(chain, /panel_fixture\.add/);

    const firstTab = await panel.locator("nav .tab").first().textContent();
    assert.equal(firstTab, "This page", "the tab comes first while the page has started tasks");
    await browser.screenshot(panel, "panel-this-page");

    await panel.click(`${orders} .mono > a`);
    assert.deepEqual(await opened(), [`${session.deployment.app.url}/orders`], "the request revealed through devtools.panels.openResource");

    await panel.click(`[data-task="${orderId}"] > a`);
    await panel.waitForURL(new RegExp(`#/tasks/${orderId}$`));
    await waitForText(panel, "main", /panel_fixture\.sleep_for/, 15_000);
  });

  const opened = () => panel.evaluate(() => (globalThis as unknown as { testNetwork: { opened(): string[] } }).testNetwork.opened());

  /** How many listeners the panel has on onRequestFinished (0: it reads nothing). */
  const listening = () => panel.evaluate(() => (globalThis as unknown as { testNetwork: { listeners(): number } }).testNetwork.listeners());
  const navigate = () =>
    panel.evaluate(() => (globalThis as unknown as { testNetwork: { navigate(url: string): void } }).testNetwork.navigate("http://app.test/next"));

  it("keeps the list across a navigation only with Preserve log, and clears it with Clear", async () => {
    await panel.goto(panel.url().replace(/#.*$/, "#/page"));
    await panel.locator('[data-view="page"]').waitFor();
    await panel.waitForFunction(() => (globalThis as unknown as { testNetwork: { listeners(): number } }).testNetwork.listeners() > 0);
    await requestFromPage("/orders");
    await waitForText(panel, '[data-view="page"]', /panel_fixture\.sleep_for/, 20_000);
    await panel.check("text=Preserve log");
    await navigate();
    assert.match(await panel.locator('[data-view="page"]').innerText(), /panel_fixture\.sleep_for/, "preserved across the navigation");
    await panel.uncheck("text=Preserve log");
    await navigate();
    await waitForText(panel, '[data-view="page"]', /No request of the inspected page/);
    await requestFromPage("/orders");
    await waitForText(panel, '[data-view="page"]', /panel_fixture\.sleep_for/, 20_000);
    await panel.click("button:has-text('Clear')");
    await waitForText(panel, '[data-view="page"]', /No request of the inspected page/);
  });

  it("stops listening to the page's requests while the panel is hidden", async () => {
    // What devtools.ts tells the panel page on devtools' panel.onHidden / onShown.
    const tell = (shown: boolean) => panel.evaluate((detail) => dispatchEvent(new CustomEvent("celery-panel-shown", { detail })), shown);
    assert.equal(await listening(), 1);
    await tell(false);
    assert.equal(await listening(), 0);
    await tell(true);
    assert.equal(await listening(), 1);
  });

  it("asks the agent chosen for the page's origin, remembered across a reload of the panel", async () => {
    const { browser, deployment } = session;
    const agents = [
      { id: "other", name: "other", url: deployment.other.url, token: null },
      { id: "local", name: "local", url: deployment.scenario.agent.url, token: null },
    ];
    await browser.setAgents(agents, "other");
    const origin = deployment.app.url;
    await panel.evaluate((o) => sessionStorage.setItem("testOrigin", o), origin);
    await panel.goto(panel.url().replace(/#.*$/, "#/page"));
    await panel.reload();
    await panel.locator('[data-view="page"]').waitFor();
    const select = panel.locator("[data-page-agent] select");
    assert.equal(await select.inputValue(), "other", "the current agent by default");
    await waitForText(panel, "[data-page-agent]", new RegExp(`Agent for ${origin.replace(/\./g, "\\.")}`));

    const order = await requestFromPage("/orders");
    const orderId = JSON.parse(order.body).order.job.task_id as string;
    // The other agent is asked (and asked again for ~10 s): it never knows this task.
    await letTimePass(3000, "the other agent's lookups");
    assert.equal(await panel.locator(`[data-task="${orderId}"]`).count(), 0, "the other agent knows no such task");

    await select.selectOption("local");
    await waitForText(panel, `[data-task="${orderId}"]`, /panel_fixture\.sleep_for/, 20_000);
    const stored = await (await browser.worker()).evaluate(() => chrome.storage.local.get("pageAgentIds"));
    assert.deepEqual(stored.pageAgentIds, { [origin]: "local" });

    await panel.reload();
    await panel.locator('[data-view="page"]').waitFor();
    assert.equal(await panel.locator("[data-page-agent] select").inputValue(), "local", "remembered for the origin");
    const currentAgentId = async () => (await (await browser.worker()).evaluate(() => chrome.storage.local.get("currentAgentId"))).currentAgentId;
    assert.equal(await currentAgentId(), "other", "while the panel's current agent is still the other one");
    const again = await requestFromPage("/orders");
    const againId = JSON.parse(again.body).order.job.task_id as string;
    await waitForText(panel, `[data-task="${againId}"]`, /success\s+panel_fixture\.sleep_for/, 30_000);

    await browser.screenshot(panel, "panel-this-page-agent-choice");

    // Its detail view is the local agent's: opening it makes that agent the panel's current one.
    await panel.click(`[data-task="${againId}"] > a`);
    await panel.waitForURL(new RegExp(`#/tasks/${againId}$`));
    await waitForText(panel, "main", /panel_fixture\.sleep_for/, 15_000);
    assert.equal(await currentAgentId(), "local");
  });
});
