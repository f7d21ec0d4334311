/**
 * The panel as a web page at the agent's root URL, in headless Chromium against a real agent
 * watching real Celery workers: it renders the real workers and the live stream from the same
 * origin (under the page's strict CSP, without a console error), asks for the token of an agent
 * started with --token and keeps it in sessionStorage only, and the agent still refuses foreign
 * Host headers for the page; while the agent's Redis is down the page says it is degraded rather
 * than show old data as live. Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { startScenario, type Scenario } from "../harness/scenario";
import { join } from "node:path";
import { ARTIFACTS_DIR, launchExtension, waitForText, type ExtensionBrowser } from "../harness/browser";

const TOKEN = "web-panel-token-42";

/** GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("the web panel served by the agent", () => {
  let scenario: Scenario;
  let secured: AgentProcess;
  let browser: ExtensionBrowser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    scenario = await startScenario();
    secured = await startAgent(["--broker", scenario.broker, "--result-backend", scenario.backend, "--token", TOKEN, "--name", "secured"]);
    browser = await launchExtension();
    page = await browser.context.newPage();
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => void (message.type() === "error" && problems.push(`console: ${message.text()}`)));
  });

  after(async () => {
    await browser?.close();
    await stopAll();
  });

  it("renders the real workers at the agent's root URL, live, with no agent picker", async () => {
    await page.goto(`${scenario.agent.url}/#/workers`);
    const table = await waitForText(page, "table[aria-label=Workers]", /solo1@panel/, 20_000);
    assert.match(table, /w1@panel\s+panel\s+prefork\s+2/);
    assert.match(table, /solo1@panel\s+panel\s+solo\s+1/);
    await waitForText(page, "[data-live]", /Live/);
    assert.equal(await page.title(), "Celery Panel · test-agent");
    assert.equal(await page.locator("select[aria-label=Agent]").count(), 0, "no agent picker");
    assert.equal(await page.locator("nav.navbar a", { hasText: "Agents" }).count(), 0, "no agents tab");
    await page.click("nav.navbar >> text=Overview");
    await page.locator('[data-view="overview"]').waitFor();
    await waitForText(page, '[data-card="Workers online"] .value', /^2$/);
    await browser.screenshot(page, "web-panel-overview");
    assert.deepEqual(problems, [], "no page error, CSP violation or failed request");
  });

  it("asks for the token of an agent started with --token, and keeps it in this tab only", async () => {
    await page.goto(`${secured.url}/#/workers`);
    const form = "form[aria-label='Agent token']";
    await waitForText(page, form, /This agent needs a token/);
    await page.fill(`${form} input[name=token]`, "not-the-token");
    await page.click(`${form} button[type=submit]`);
    await waitForText(page, form, /wrong token/);
    await page.fill(`${form} input[name=token]`, TOKEN);
    await page.click(`${form} button[type=submit]`);
    await waitForText(page, "table[aria-label=Workers]", /solo1@panel/, 20_000);
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("celery-panel-token"), local: localStorage.length }));
    assert.deepEqual(stored, { session: TOKEN, local: 0 });
    // A reload in the same tab keeps the token; the form does not come back.
    await page.reload();
    await waitForText(page, "table[aria-label=Workers]", /w1@panel/, 20_000);
    assert.equal(await page.locator(form).count(), 0);
  });

  it("says the agent is degraded while its Redis is down, and live again once it is back", async () => {
    await page.goto(`${scenario.agent.url}/#/workers`);
    await waitForText(page, "[data-live]", /Live/, 20_000);
    assert.equal(await page.locator("[data-degraded]").count(), 0, "no notice while all is well");
    await scenario.redis.stop();
    try {
      await waitForText(page, "[data-live]", /Degraded/, 20_000);
      const notice = await waitForText(page, "[data-degraded]", /Not live: the agent (cannot reach|connecting to) the broker/, 20_000);
      assert.match(notice, /once it reconnects/);
      // The rows are what the agent last knew: greyed, with the time they are from.
      await waitForText(page, "[data-degraded-as-of]", /The workers as the agent last knew them, as of \d\d:\d\d:\d\d UTC[+\d:-]*, \d+ s ago/, 20_000);
      assert.match(await page.locator("[data-last-known] table[aria-label=Workers]").innerText(), /w1@panel/);
      await page.screenshot({ path: join(ARTIFACTS_DIR, "web-panel-degraded.png") });
    } finally {
      await scenario.redis.run();
    }
    await waitForText(page, "[data-live]", /Live/, 30_000);
    await page.locator("[data-degraded]").waitFor({ state: "detached", timeout: 30_000 });
    await page.locator("[data-last-known]").waitFor({ state: "detached", timeout: 30_000 });
  });

  it("is still refused under a foreign Host header, page and assets alike", async () => {
    for (const path of ["/", "/panel.js", "/api/v1/health"]) {
      assert.equal(await getWithHost(scenario.agent.url + path, "evil.example"), 403, path);
      assert.equal(await getWithHost(scenario.agent.url + path, "127.0.0.1"), 200, path);
    }
  });
});
