/**
 * `npm run screenshots`: the README's pictures, taken for real. Starts `npm run demo`, lets
 * its load generator run until the views have life in them, loads dist/chrome into headless
 * Chromium with the end-to-end tests' helpers, and saves the panel (docs/panel.png), the
 * toolbar popup (docs/popup.png) and the charts (docs/charts-*.png: a task name's page, light and
 * at devtools' narrow width in the dark theme, and a queue's). Needs `npm run build` first.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, eventually, freePort } from "../test/harness/deployment";
import type { Page } from "playwright-core";
import { launchExtension, waitForText } from "../test/harness/browser";
import { runDemo } from "./demo/run-demo";

const DOCS = join(REPO_ROOT, "docs");
/** Enough tasks that the overview's activity, latest tasks and failures are all populated. */
const ENOUGH_TASKS = 60;
/** Minutes with finished tasks before the charts are taken, so their lines have a shape. */
const ENOUGH_MINUTES = 4;

/** The charts of a view, once drawn, in the light or dark theme at a width. */
async function shootCharts(page: Page, hash: string, file: string, width: number, theme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: theme });
  await page.setViewportSize({ width, height: 900 });
  await page.goto(page.url().replace(/#.*$/, `#/${hash}`));
  // The task views have a window to pick (the queue's charts are of the last hour).
  if (hash.startsWith("task-names")) await page.selectOption("[data-window-select]", "15m");
  await page.locator("[data-chart] canvas").first().waitFor({ timeout: 30_000 });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(DOCS, file) });
}

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

    await eventually(
      async () => {
        const res = await fetch(`${demo.agentUrl}/api/v1/metrics/tasks?name=panel_fixture.sleep_for&window=15m`);
        const body = (await res.json()) as { series: { counts: { succeeded: number } }[] };
        return body.series.filter((p) => p.counts.succeeded > 0).length >= ENOUGH_MINUTES;
      },
      (ENOUGH_MINUTES + 2) * 60_000,
      `${ENOUGH_MINUTES} minutes of tasks`,
    );
    await panel.screenshot({ path: join(DOCS, "panel.png") });
    await shootCharts(panel, "task-names/panel_fixture.sleep_for", "charts-task-name.png", 1100, "light");
    await shootCharts(panel, "task-names/panel_fixture.sleep_for", "charts-task-name-narrow-dark.png", 420, "dark");
    await shootCharts(panel, "queues/parked", "charts-queue.png", 1100, "light");

    const popup = await browser.open("popup.html");
    await popup.setViewportSize({ width: 400, height: 300 });
    await waitForText(popup, 'li[data-agent="demo"]', /2 online · 0 offline/);
    await popup.screenshot({ path: join(DOCS, "popup.png"), fullPage: true });
    console.log("saved docs/panel.png, docs/popup.png and docs/charts-*.png");
  } finally {
    await browser.close();
  }
} finally {
  await demo.interrupt();
}
