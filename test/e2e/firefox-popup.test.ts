/**
 * The popup in real Firefox (Debian's firefox-esr, headless, dist/firefox): it shows the agent's
 * workers live, and a real worker SIGKILLed shows offline in the open popup once the agent says
 * so. Skipped where /usr/bin/firefox-esr is missing. Needs `npm run build` first.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Page } from "puppeteer-core";
import { stopAll } from "../harness/deployment";
import { FIREFOX, firstTrue, launchFirefoxExtension, storeAgents, textOf, type FirefoxExtension } from "../harness/firefox";
import { startScenario, type Scenario } from "../harness/scenario";

const skip = existsSync(FIREFOX) ? false : `${FIREFOX} is missing (apt-get install firefox-esr, or scripts/ensure-system-deps.sh as root)`;

describe("the popup in Firefox follows the agent", { skip }, () => {
  let scenario: Scenario;
  let firefox: FirefoxExtension;
  let popup: Page;

  before(async () => {
    scenario = await startScenario({
      workers: [
        { name: "w1@firefox", pool: "prefork", concurrency: 1 },
        { name: "k1@firefox", pool: "solo" },
      ],
    });
    firefox = await launchFirefoxExtension();
    popup = await firefox.open("popup.html");
    await storeAgents(popup, [{ id: "ff", name: "prod", url: scenario.agent.url, token: null }]);
  });

  after(async () => {
    await firefox?.close();
    await stopAll();
  });

  it("shows the agent's workers, live", async () => {
    const live = await firstTrue(async () => (await textOf(popup, "section.current [data-age=current]")) === "live", 30_000, 200);
    assert.ok(live, `the popup never showed the agent live: ${await textOf(popup, "section.current")}`);
    assert.match((await textOf(popup, "section.current")) ?? "", /prod[\s\S]*2\s*workers online[\s\S]*0\s*workers offline/);
  });

  it("shows a SIGKILLed worker offline while open", async () => {
    const killedAt = Date.now();
    await scenario.workers.get("k1@firefox")!.kill();
    // The agent needs two missed heartbeats (about 4 s); alarm-driven code would take up to 30 s more.
    const shown = await firstTrue(async () => (await textOf(popup, 'section.current [data-stat="workers offline"] .value')) === "1", 20_000);
    assert.ok(shown, `the popup never showed the worker offline: ${await textOf(popup, "section.current")}`);
    console.log(`Firefox popup: the killed worker showed offline ${shown - killedAt} ms after the SIGKILL`);
    assert.match((await textOf(popup, "section.current")) ?? "", /1\s*workers? online[\s\S]*1\s*workers? offline/);
  });
});
