/**
 * Problems in the toolbar badge and the popup, and the opt-in notifications (issue 14), in headless
 * Chromium against a real agent, Redis and worker: a task routed to a queue nobody consumes makes
 * a `queue_no_consumer` problem, which turns the badge violet, names it in the badge's title and
 * in the popup; an agent added while the problem is there notifies nothing, a second such queue
 * notifies once (a third one of the same kind within the window: not again); a worker consuming
 * the queues solves them and the badge returns. Needs `npm run build` first (dist/chrome).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Page } from "playwright-core";
import { BADGE_PROBLEM_COLOR, BADGE_PROBLEM_MARK } from "../../extension/background/status";
import { CeleryWorker, eventually, runPython, startAgent, type AgentProcess } from "../harness/deployment";
import { browserSession, waitForText } from "../harness/browser";

const AGENT_ID = "prod";
const sentence = (queue: string) => `Queue ${queue} holds 1 message and no online worker consumes it`;

interface Deployment {
  agent: AgentProcess;
  broker: string;
  backend: string;
}

/** Sends one task to `queue` (nobody consumes it unless a worker was started for it). */
async function park(d: Deployment, queue: string): Promise<void> {
  await runPython(`import panel_fixture as p\np.add.apply_async((1, 2), queue=${JSON.stringify(queue)})`, d.broker, d.backend);
}

/** The agent's own list says `queue` has nobody consuming it: the extension can learn it now. */
async function agentReports(d: Deployment, queue: string): Promise<void> {
  await eventually(
    async () => {
      const { body } = await d.agent.get<{ findings: { id: string }[] }>("/api/v1/findings?severity=problem");
      return body.findings.some((f) => f.id === `queue_no_consumer|queue|${queue}`);
    },
    30_000,
    `the agent reports queue ${queue} without consumer`,
  );
}

describe("problems in the badge and the popup, and notifications of new ones", () => {
  const session = browserSession(async (redis): Promise<Deployment> => {
    const [broker, backend] = [redis.url(0), redis.url(1)];
    await CeleryWorker.start({ broker, backend, name: "w1@badge", pool: "solo", queues: ["celery"] });
    const agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "badge"]);
    return { agent, broker, backend };
  });
  let popup: Page;

  const notifications = async () => Object.keys(await (await session.browser.worker()).evaluate(() => chrome.notifications.getAll())).sort();
  /**
   * When the background last notified each kind of problem, per agent, as it keeps it: Chromium
   * closes a shown notification after a while (getAll forgets it), this says what was notified since.
   */
  const notifiedAt = async () => (await (await session.browser.worker()).evaluate(() => chrome.storage.local.get("problemsNotifiedAt"))).problemsNotifiedAt;
  let secondNotifiedAt: unknown;

  it("shows a queue nobody consumes in the badge's colour and title, and in the popup, notifying nothing already there", async () => {
    const { browser, deployment } = session;
    await park(deployment, "parked");
    await agentReports(deployment, "parked");
    // Added opted in while the problem is already there: the first list is no news.
    await browser.setAgents([{ id: AGENT_ID, name: "prod", url: deployment.agent.url, token: null, notify: true }]);
    await eventually(async () => (await browser.badge()).title.includes(sentence("parked")), 30_000, "the badge's title names the problem");
    const badge = await browser.badge();
    assert.equal(badge.text, BADGE_PROBLEM_MARK, "no worker offline: the dot");
    assert.match(badge.title, /^prod: 0 offline workers, 1 problem\n {2}• Queue parked holds 1 message/m);
    assert.equal(await browser.badgeColor(), BADGE_PROBLEM_COLOR);

    popup = await browser.open("popup.html");
    await popup.setViewportSize({ width: 400, height: 600 });
    const row = await waitForText(popup, `[data-problems="prod"]`, /1 problem/, 20_000);
    assert.match(row, new RegExp(sentence("parked")));
    const link = popup.locator(`[data-problems="prod"] .problem-sentences a`).first();
    assert.match((await link.getAttribute("href")) ?? "", /panel\.html#\/findings\?finding=queue_no_consumer%7Cqueue%7Cparked$/);
    await browser.screenshot(popup, "badge-popup-problem");
    assert.deepEqual(await notifications(), [], "the problem there when the agent was added notifies nothing");
  });

  it("notifies an opted-in agent's new problem once per kind, naming it", async () => {
    const { browser, deployment } = session;
    // The popup's toggle: off, then on again (what a person does to opt in).
    const toggle = popup.locator(`[data-problems="prod"] .notify-toggle input`);
    assert.equal(await toggle.isChecked(), true);
    await toggle.uncheck();
    await eventually(async () => !(await toggle.isChecked()), 5000, "the toggle off");
    await toggle.check();
    await eventually(async () => toggle.isChecked(), 5000, "the toggle on");

    await park(deployment, "parked2");
    const second = `problem|${AGENT_ID}|queue_no_consumer|queue|parked2`;
    await eventually(async () => (await notifications()).includes(second), 30_000, "a notification of the new problem");
    assert.deepEqual(await notifications(), [second]);
    secondNotifiedAt = await notifiedAt();
    assert.deepEqual(Object.keys((secondNotifiedAt as Record<string, object>)[AGENT_ID] ?? {}), ["queue_no_consumer"]);

    // A third of the same kind within five minutes: shown everywhere, notified no more.
    await park(deployment, "parked3");
    await eventually(async () => /3 problems/.test((await browser.badge()).title), 30_000, "the badge counts the third problem");
    await waitForText(popup, `[data-problems="prod"]`, /3 problems/, 20_000);
    await browser.screenshot(popup, "badge-popup-three-problems");
  });

  it("opens the agent's Problems view at the problem from the popup", async () => {
    const { browser } = session;
    const opened = browser.context.waitForEvent("page");
    await popup.locator(`[data-problems="prod"] .problem-sentences a`).first().click();
    const panel = await opened;
    await panel.waitForURL(/panel\.html#\/findings\?finding=queue_no_consumer%7Cqueue%7Cparked$/);
    // At that problem: marked among the three.
    const focused = await waitForText(panel, "[data-view=problems] .finding.focused", new RegExp(sentence("parked")), 20_000);
    assert.doesNotMatch(focused, /parked2|parked3/);
    assert.equal(await panel.locator(".finding.focused").count(), 1);
    await browser.screenshot(panel, "badge-panel-problems");
    await panel.close();
  });

  it("returns to its offline count once a worker consumes the queues", async () => {
    const { browser, deployment } = session;
    await CeleryWorker.start({
      broker: deployment.broker,
      backend: deployment.backend,
      name: "w2@badge",
      pool: "solo",
      queues: ["parked", "parked2", "parked3"],
    });
    await eventually(async () => !(await browser.badge()).title.includes("problem"), 30_000, "the badge's title without problems");
    const badge = await browser.badge();
    assert.equal(badge.text, "");
    assert.match(badge.title, /^prod: 0 offline workers$/m);
    assert.notEqual(await browser.badgeColor(), BADGE_PROBLEM_COLOR);
    // Nothing was notified after the second queue: the third came within the window of its kind.
    assert.deepEqual(await notifiedAt(), secondNotifiedAt);
    assert.ok(!(await notifications()).some((id) => id.endsWith("parked3")));
  });
});
