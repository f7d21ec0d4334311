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
import { before, describe, it } from "node:test";
import { startAgent, type AgentProcess } from "../harness/deployment";
import { REDIS_PASSWORD, startScenario, type Scenario } from "../harness/scenario";
import { join } from "node:path";
import { ARTIFACTS_DIR, browserSession, waitForText } from "../harness/browser";

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
  const problems: string[] = [];

  const session = browserSession(
    async (redis) => {
      scenario = await startScenario({ redis });
      secured = await startAgent(["--broker", scenario.broker, "--result-backend", scenario.backend, "--token", TOKEN, "--name", "secured"]);
    },
    { password: REDIS_PASSWORD },
  );

  before(() => {
    session.page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    session.page.on("console", (message) => void (message.type() === "error" && problems.push(`console: ${message.text()}`)));
  });

  it("renders the real workers at the agent's root URL, live, with no agent picker", async () => {
    await session.page.goto(`${scenario.agent.url}/#/workers`);
    const table = await waitForText(session.page, "table[aria-label=Workers]", /solo1@panel/, 20_000);
    assert.match(table, /w1@panel\s+panel\s+prefork\s+2/);
    assert.match(table, /solo1@panel\s+panel\s+solo\s+1/);
    await waitForText(session.page, "[data-live]", /Live/);
    assert.equal(await session.page.title(), "Celery Panel · test-agent");
    assert.equal(await session.page.locator("select[aria-label=Agent]").count(), 0, "no agent picker");
    assert.equal(await session.page.locator("nav.navbar a", { hasText: "Agents" }).count(), 0, "no agents tab");
    await session.page.click("nav.navbar >> text=Overview");
    await session.page.locator('[data-view="overview"]').waitFor();
    await waitForText(session.page, '[data-card="Workers online"] .value', /^2$/);
    await session.browser.screenshot(session.page, "web-panel-overview");
    assert.deepEqual(problems, [], "no session.page error, CSP violation or failed request");
  });

  it("asks for the token of an agent started with --token, and keeps it in this tab only", async () => {
    await session.page.goto(`${secured.url}/#/workers`);
    const form = "form[aria-label='Agent token']";
    await waitForText(session.page, form, /This agent needs a token/);
    await session.page.fill(`${form} input[name=token]`, "not-the-token");
    await session.page.click(`${form} button[type=submit]`);
    await waitForText(session.page, form, /wrong token/);
    await session.page.fill(`${form} input[name=token]`, TOKEN);
    await session.page.click(`${form} button[type=submit]`);
    await waitForText(session.page, "table[aria-label=Workers]", /solo1@panel/, 20_000);
    const stored = await session.page.evaluate(() => ({ session: sessionStorage.getItem("celery-panel-token"), local: localStorage.length }));
    assert.deepEqual(stored, { session: TOKEN, local: 0 });
    // A reload in the same tab keeps the token; the form does not come back.
    await session.page.reload();
    await waitForText(session.page, "table[aria-label=Workers]", /w1@panel/, 20_000);
    assert.equal(await session.page.locator(form).count(), 0);
  });

  it("says the agent is degraded while its Redis is down, and live again once it is back", async () => {
    await session.page.goto(`${scenario.agent.url}/#/workers`);
    await waitForText(session.page, "[data-live]", /Live/, 20_000);
    assert.equal(await session.page.locator("[data-degraded]").count(), 0, "no notice while all is well");
    await scenario.redis.stop();
    try {
      await waitForText(session.page, "[data-live]", /Degraded/, 20_000);
      const notice = await waitForText(session.page, "[data-degraded]", /Not live: the agent (cannot reach|connecting to) the broker/, 20_000);
      assert.match(notice, /once it reconnects/);
      // The rows are what the agent last knew: greyed, with the time they are from.
      await waitForText(session.page, "[data-degraded-as-of]", /The workers as the agent last knew them, as of \d\d:\d\d:\d\d UTC[+\d:-]*, \d+ s ago/, 20_000);
      assert.match(await session.page.locator("[data-last-known] table[aria-label=Workers]").innerText(), /w1@panel/);
      await session.page.screenshot({ path: join(ARTIFACTS_DIR, "web-panel-degraded.png") });
    } finally {
      await scenario.redis.run();
    }
    await waitForText(session.page, "[data-live]", /Live/, 30_000);
    await session.page.locator("[data-degraded]").waitFor({ state: "detached", timeout: 30_000 });
    await session.page.locator("[data-last-known]").waitFor({ state: "detached", timeout: 30_000 });
  });

  it("is still refused under a foreign Host header, session.page and assets alike", async () => {
    for (const path of ["/", "/panel.js", "/api/v1/health"]) {
      assert.equal(await getWithHost(scenario.agent.url + path, "evil.example"), 403, path);
      assert.equal(await getWithHost(scenario.agent.url + path, "127.0.0.1"), 200, path);
    }
  });
});
