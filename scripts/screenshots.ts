/**
 * `npm run screenshots`: the README's two pictures, taken for real. Starts `npm run demo`, lets
 * its load generator run until the views have life in them, loads dist/chrome into headless
 * Chromium with the end-to-end tests' helpers, and saves the panel (docs/panel.png) and the
 * toolbar popup (docs/popup.png). Needs `npm run build` first.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, eventually, freePort } from "../test/harness/deployment";
import { launchExtension, waitForText } from "../test/harness/browser";
import { runDemo } from "./demo/run-demo";

const DOCS = join(REPO_ROOT, "docs");
/** Enough tasks that the overview's activity, latest tasks and failures are all populated. */
const ENOUGH_TASKS = 60;

const demo = await runDemo(await freePort());
try {
  await eventually(
    async () => {
      const res = await fetch(`${demo.agentUrl}/api/v1/tasks?state=FAILURE&limit=1`);
      const failures = (await res.json()) as { total: number };
      const all = (await (await fetch(`${demo.agentUrl}/api/v1/tasks?limit=1`)).json()) as { total: number };
      return failures.total > 0 && all.total >= ENOUGH_TASKS;
    },
    120_000,
    `${ENOUGH_TASKS} tasks in the demo`,
  );

  const browser = await launchExtension();
  try {
    await browser.setAgents([{ id: "demo", name: "demo", url: demo.agentUrl, token: null }]);
    mkdirSync(DOCS, { recursive: true });

    const panel = await browser.open("panel.html#/overview");
    await panel.setViewportSize({ width: 1100, height: 720 });
    await waitForText(panel, '[data-card="Workers online"] .value', /^2$/);
    await waitForText(panel, "[data-live]", /Live/);
    // The overview answers with what the workers said within 300 ms and refreshes as events come:
    // wait for a refresh that has the queues and the registered tasks too.
    await waitForText(panel, "main", /parked[\s\S]*Registered tasks \([1-9]\d*\)/, 60_000);
    await panel.screenshot({ path: join(DOCS, "panel.png") });

    const popup = await browser.open("popup.html");
    await popup.setViewportSize({ width: 400, height: 300 });
    await waitForText(popup, 'li[data-agent="demo"]', /2 online · 0 offline/);
    await popup.screenshot({ path: join(DOCS, "popup.png"), fullPage: true });
    console.log("saved docs/panel.png and docs/popup.png");
  } finally {
    await browser.close();
  }
} finally {
  await demo.interrupt();
}
