/**
 * The Periodic view in headless Chromium (the web panel at the agent's root URL) against a real
 * `celery beat` sending an entry every 2 s: the entry shows its last run "from tasks seen", its run
 * count and next run, and beat "alive"; once beat is stopped, beat "late" and the run "missed".
 * Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startBeatDeployment } from "../harness/beat-deployment";
import { browserSession, waitForText } from "../harness/browser";

describe("the Periodic view with a real beat", () => {
  const session = browserSession((redis) => startBeatDeployment(2, redis));

  /** The view reloaded until `pattern` shows in `selector` (the list is fetched, not streamed). */
  async function reloadUntil(selector: string, pattern: RegExp, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await session.page.click("button:has-text('Reload')");
      try {
        return await waitForText(session.page, selector, pattern, 2_000);
      } catch (e) {
        if (Date.now() > until) throw e;
      }
    }
  }

  it("shows the entry's runs from the tasks seen, and beat alive", async () => {
    await session.page.goto(`${session.deployment.agent.url}/#/periodic`);
    await waitForText(session.page, "table[aria-label='Periodic tasks']", /tick-fast/, 20_000);
    const beat = await reloadUntil("[data-beat]", /beat\s*alive\s*entry tick-fast ran/, 60_000);
    assert.match(beat, /as scheduled/);
    const table = await waitForText(session.page, "table[aria-label='Periodic tasks']", /tick-fast[^\n]*from tasks seen/);
    assert.match(table, /tick-fast\s+panel_fixture\.add\s+every 2 seconds\s+interval/);
    await session.browser.screenshot(session.page, "panel-periodic-beat-alive");
  });

  it("shows beat late and the entry's run missed once beat stops", async () => {
    await session.deployment.beat.stop();
    const beat = await reloadUntil("[data-beat]", /beat\s*late/, 60_000);
    assert.match(beat, /entry tick-fast was due \d+ s ago and nothing was seen since/);
    await waitForText(session.page, "table[aria-label='Periodic tasks']", /tick-fast[^\n]*missed/);
    await session.browser.screenshot(session.page, "panel-periodic-beat-late");
  });
});
