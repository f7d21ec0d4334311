/**
 * The metrics charts in headless Chromium (the web panel the agent serves) against real workers that
 * ran known tasks: sleeps of 0.2 s and 1 s, failures whose messages differ only in a number, and
 * messages parked on a queue nobody consumes. The overview's chart, the per-name table and a name's
 * page, the failure groups, a worker's charts and a queue's depth chart show what the workers did; hovering a chart
 * shows a value with its unit. Screenshots, light and dark, wide and at devtools' narrow width, go
 * to test-artifacts/. Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { CeleryWorker, eventually, runPython, startAgent, type AgentProcess } from "../harness/deployment";
import { browserSession, waitForText } from "../harness/browser";

const SHORT = 6;
const LONG = 4;
const FAILURES = [17, 4242, 5];
const PARKED = 3;

/**
 * Moves the mouse over a chart from its right edge leftwards until the legend's value of `series`
 * matches `pattern` (the newest points may be an empty minute); returns that value.
 */
async function hoverUntil(page: Page, chart: string, series: string, pattern: RegExp): Promise<string> {
  const over = page.locator(`[data-chart="${chart}"] .u-over`);
  await over.waitFor();
  const box = (await over.boundingBox())!;
  const value = page.locator(`[data-chart="${chart}"] .u-legend .u-series`, { hasText: series }).locator(".u-value");
  let last = "";
  for (let x = box.width - 1; x > 0; x -= 4) {
    await page.mouse.move(box.x + x, box.y + box.height / 2);
    last = await value.innerText();
    if (pattern.test(last)) return last;
  }
  throw new Error(`${chart}: ${series} never showed ${pattern} on hover (last: "${last}")`);
}

/** Seconds of a duration as the panel writes it ("306 ms", "1.02 s"). */
function seconds(text: string): number {
  const m = /([\d.]+)\s*(ms|s)\b/.exec(text);
  assert.ok(m, `no duration in "${text}"`);
  return Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
}

describe("metrics charts with real workers", () => {
  let agent: AgentProcess;

  const session = browserSession(async (redis) => {
    await CeleryWorker.start({ name: "charts@panel", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1)]);
    await runPython(
      `import panel_fixture as p
rs = [p.sleep_for.delay(0.2) for _ in range(${SHORT})] + [p.sleep_for.delay(1.0) for _ in range(${LONG})]
rs += [p.fail.delay("order %d not found" % n) for n in ${JSON.stringify(FAILURES)}]
for r in rs:
    try:
        r.get(timeout=60)
    except ValueError:
        pass
# Nobody consumes "parked": these wait there.
for i in range(${PARKED}):
    p.add.apply_async(args=[i, i], queue="parked", routing_key="parked")`,
      redis.url(0),
      redis.url(1),
    );
    // The figures count what the agent saw: wait until it has every run and a sample of the parked queue.
    await eventually(
      async () => {
        const names = (await agent.get<any>("/api/v1/metrics/tasks")).body.names as { name: string; counts: { succeeded: number; failed: number } }[];
        const sleeps = names.find((n) => n.name === "panel_fixture.sleep_for");
        const fails = names.find((n) => n.name === "panel_fixture.fail");
        const queues = (await agent.get<any>("/api/v1/metrics/queues")).body.queues as { name: string; current: { messages: number } | null }[];
        return (
          sleeps?.counts.succeeded === SHORT + LONG &&
          fails?.counts.failed === FAILURES.length &&
          queues.find((q) => q.name === "parked")?.current?.messages === PARKED
        );
      },
      60_000,
      "the agent's figures of every run and the parked queue",
    );
  });

  const shoot = async (name: string) => {
    const page = session.page;
    await page.emulateMedia({ colorScheme: "light" });
    await session.browser.screenshot(page, `${name}-light`);
    await page.emulateMedia({ colorScheme: "dark" });
    // The charts redraw in the dark theme's colors (they follow prefers-color-scheme without devtools).
    await page.waitForTimeout(100);
    await session.browser.screenshot(page, `${name}-dark`);
    await page.emulateMedia({ colorScheme: "light" });
  };

  it("draws the overview's tasks per minute, with a value and its unit on hover", async () => {
    const page = session.page;
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${agent.url}/#/overview`);
    await page.locator('[data-chart="Tasks per minute"] canvas').first().waitFor({ timeout: 20_000 });
    const succeeded = await hoverUntil(page, "Tasks per minute", "Succeeded", /^[1-9][\d.]*\/min$/);
    assert.match(succeeded, /\/min$/);
    await hoverUntil(page, "Tasks per minute", "Failed", /^[1-9][\d.]*\/min$/);
    // The parked queue's depth over the last hour, as a sparkline in the queues table.
    await page.locator("table[aria-label='Queue depths'] tr", { hasText: "parked" }).locator("[data-sparkline]").waitFor();
    await page.mouse.move(0, 0);
    await shoot("charts-overview");
    await page.setViewportSize({ width: 420, height: 900 });
    await page.locator("table[aria-label='Queue depths']").scrollIntoViewIfNeeded();
    await shoot("charts-overview-queues-narrow");
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it("lists each name's counts as the workers ran them, and sorts them", async () => {
    const page = session.page;
    await page.goto(`${agent.url}/#/task-names`);
    const table = "table[aria-label='Figures per task name']";
    const sleeps = await waitForText(page, `${table} tbody tr`, /panel_fixture\.sleep_for/, 20_000);
    const [, finished, failed, rate] = sleeps.split("\t").map((c) => c.trim());
    assert.equal(finished, String(SHORT + LONG));
    assert.equal(failed, "0");
    assert.equal(rate, "0 %");
    const fails = (await waitForText(page, `${table} tbody tr`, /panel_fixture\.fail/)).split("\t").map((c) => c.trim());
    assert.deepEqual(fails.slice(1, 4), [String(FAILURES.length), String(FAILURES.length), "100 %"]);
    // Most finished first by default; by name on a click of its header.
    assert.match(await page.locator(`${table} tbody tr`).first().innerText(), /sleep_for/);
    await page.click(`${table} th:has-text('Task')`);
    await page.click(`${table} th:has-text('Task')`);
    assert.match(await page.locator(`${table} tbody tr`).first().innerText(), /panel_fixture\.add|panel_fixture\.fail/);
    await shoot("charts-task-names");
  });

  it("shows a name's runtime percentiles, histogram and totals from the sleeps it ran", async () => {
    const page = session.page;
    await page.click("text=panel_fixture.sleep_for");
    await page.locator('[data-view="task-name"] [data-chart="Runtime"] canvas').first().waitFor({ timeout: 20_000 });
    const totals = await waitForText(page, "table[aria-label=Totals]", /Runtime\s*p50/);
    assert.match(totals, new RegExp(`Finished\\s*${SHORT + LONG}`));
    const runtime = /Runtime\s*p50 ([^·]+) · p95 ([^·]+) ·/.exec(totals)!;
    // Six sleeps of 0.2 s and four of 1 s: the median is a short one, the 95th a long one.
    assert.ok(seconds(runtime[1]!) >= 0.19 && seconds(runtime[1]!) < 0.9, `p50 ${runtime[1]}`);
    assert.ok(seconds(runtime[2]!) >= 0.98, `p95 ${runtime[2]}`);
    const p95 = await hoverUntil(page, "Runtime", "p95", /\d/);
    assert.ok(seconds(p95) >= 0.98, `hovered p95 ${p95}`);
    // The histogram's columns hold the ten runs: two clusters.
    await page.locator('[data-chart="Runtime histogram"] canvas').first().waitFor();
    const column = await hoverUntil(page, "Runtime histogram", "Tasks", /[1-9]\d* tasks?/);
    assert.match(column, /tasks?$/);
    await page.mouse.move(0, 0);
    await shoot("charts-task-name");
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(200);
    await shoot("charts-task-name-narrow");
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it("groups the failures whose messages differ only in a number, and opens their tasks", async () => {
    const page = session.page;
    await page.goto(`${agent.url}/#/failures`);
    const group = await waitForText(page, "table[aria-label='Failure groups'] tbody tr", /ValueError/, 20_000);
    assert.match(group, /order <num> not found/);
    assert.equal(group.split("\t")[1]?.trim(), String(FAILURES.length));
    await shoot("charts-failures");
    await page.click("table[aria-label='Failure groups'] tbody tr >> text=Tasks →");
    await page.locator('[data-view="tasks"]').waitFor();
    const listed = await waitForText(page, ".total", new RegExp(`of ${FAILURES.length} matching tasks`));
    assert.match(listed, /shown/);
  });

  it("draws a worker's tasks per minute and busy share, and a sparkline in the workers list", async () => {
    const page = session.page;
    await page.goto(`${agent.url}/#/workers`);
    await page.locator("table[aria-label=Workers] tr", { hasText: "charts@panel" }).locator("[data-sparkline]").waitFor({ timeout: 20_000 });
    await page.goto(`${agent.url}/#/workers/charts@panel`);
    await page.locator('[data-chart="Worker tasks per minute"] canvas').first().waitFor({ timeout: 20_000 });
    await hoverUntil(page, "Worker tasks per minute", "Finished", /^[1-9][\d.]*\/min$/);
    // Its pool of two ran sleeps of several seconds in all: a share above zero.
    await hoverUntil(page, "Busy share", "Busy", /^(<0\.1|[\d.]*[1-9][\d.]*) %$/);
    await page.mouse.move(0, 0);
    await page.locator('[data-section="worker-charts"]').scrollIntoViewIfNeeded();
    await shoot("charts-worker");
  });

  it("draws a queue's depth as the agent sampled it", async () => {
    const page = session.page;
    await page.goto(`${agent.url}/#/queues/parked`);
    await page.locator('[data-chart="Depth and consumers"] canvas').first().waitFor({ timeout: 20_000 });
    const depth = await hoverUntil(page, "Depth and consumers", "Messages", new RegExp(`^${PARKED} msgs$`));
    assert.equal(depth, `${PARKED} msgs`);
    await page.mouse.move(0, 0);
    await shoot("charts-queue");
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(200);
    await shoot("charts-queue-narrow");
    await page.setViewportSize({ width: 1100, height: 900 });
  });
});
