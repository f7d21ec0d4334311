/**
 * The Problems view (the web panel the agent serves, the same code as the extension's), in headless
 * Chromium against real workers: a task routed to a queue nobody consumes shows as a problem with
 * its evidence and a link to the queue, the overview counts it, and the view empties by itself
 * (the findings event) once a worker consumes the queue; the task's and the queue's pages say why. Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { CeleryWorker, RedisServer, runPython, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { launchExtension, waitForText, type ExtensionBrowser } from "../harness/browser";

describe("the Problems view", () => {
  let redis: RedisServer;
  let agent: AgentProcess;
  let browser: ExtensionBrowser;
  let page: Page;
  let broker: string;
  let backend: string;
  let parked: string;

  before(async () => {
    redis = await RedisServer.start();
    [broker, backend] = [redis.url(0), redis.url(1)];
    await CeleryWorker.start({ broker, backend, name: "w1@problems", pool: "solo", queues: ["celery"] });
    agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "problems"]);
    parked = (await runPython(`import panel_fixture as p\nprint(p.add.apply_async((1, 2), queue="parked").id)`, broker, backend)).trim().split("\n").pop()!;
    browser = await launchExtension();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stopAll();
    await redis?.destroy();
  });

  it("shows a queue nobody consumes as a problem, with its evidence, and the overview counts it", async () => {
    await page.goto(`${agent.url}/#/findings`);
    const text = await waitForText(page, "[data-finding=queue_no_consumer]", /Queue parked holds 1 message and no online worker consumes it/, 30_000);
    assert.match(text, /^problem/);
    assert.match(text, /What to do: Start a worker that consumes it/);
    const finding = page.locator("[data-finding=queue_no_consumer]");
    assert.equal(await finding.locator("a[href='#/queues/parked']").count(), 1, "linked to its queue");
    await finding.locator("summary").click();
    assert.match(await finding.locator("table[aria-label=Evidence]").innerText(), /messages\s+1\s+broker/);
    await browser.screenshot(page, "problems-view");
    // While anything is wrong, Problems comes first in the navigation, with its count.
    assert.match(await page.locator("nav .tab").first().innerText(), /^Problems \([1-9]\d*\)$/);
    await page.goto(`${agent.url}/#/overview`);
    const card = await waitForText(page, "[data-card='Problems and warnings']", /Problem or warning|Problems and warnings/, 20_000);
    assert.match(card, /^(1\s+Problem or warning|[2-9]\d*\s+Problems and warnings|1\d+\s+Problems and warnings)/);
  });

  it("says why on the task's page, the queue's page, and for an id nobody knows", async () => {
    await page.goto(`${agent.url}/#/tasks/${parked}`);
    const box = await waitForText(page, `[data-why='${parked}']`, /which no online worker consumes/, 20_000);
    assert.match(box, /^Why\s+problem/);
    await browser.screenshot(page, "problems-why-box");
    // The queue's page carries its own findings in the same box.
    await page.goto(`${agent.url}/#/queues/parked`);
    assert.match(await waitForText(page, "[data-why='parked']", /Queue parked holds 1 message and no online worker consumes it/, 20_000), /^Why\s+problem/);
    await page.goto(`${agent.url}/#/tasks/no-such-task-0000`);
    assert.match(await waitForText(page, "[data-why='no-such-task-0000']", /No trace of task/, 20_000), /a wrong id/);
  });

  it("empties by itself once a worker consumes the queue", async () => {
    await page.goto(`${agent.url}/#/findings`);
    await waitForText(page, "[data-view=problems]", /no online worker consumes it/, 20_000);
    await CeleryWorker.start({ broker, backend, name: "w2@problems", pool: "solo", queues: ["parked"] });
    await waitForText(page, "[data-view=problems]", /Nothing looks wrong: no finding\./, 30_000);
    await waitForText(page, "nav .tab[data-tab=Problems]", /^Problems$/, 10_000);
    assert.equal(await page.locator("nav .tab").first().innerText(), "Overview", "back in its place once nothing is wrong");
  });
});
