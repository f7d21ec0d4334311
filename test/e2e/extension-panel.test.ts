/**
 * The built extension (dist/chrome) in headless Chromium against a real agent watching real
 * Celery workers: the popup adds the agent, the six views and the detail views show the
 * deployment's data, updates arrive live, a killed worker shows on the badge, and the agent
 * picker switches between agents. Needs `npm run build` first.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { eventually, startAgent, stopAll, type AgentProcess } from "../harness/deployment";
import { SECRET_SETTING, startScenario, type Scenario } from "../harness/scenario";
import { launchExtension, refreshStatuses, waitForText, type ExtensionBrowser } from "../harness/browser";

interface SentTasks {
  add: string;
  fail: string;
  video: string;
  parked: string[];
}

describe("extension against a real agent", () => {
  let scenario: Scenario;
  let staging: AgentProcess;
  let browser: ExtensionBrowser;
  let panel: Page;
  let sent: SentTasks;

  const show = (hash: string, view: string) => browser.showView(panel, hash, view);

  before(async () => {
    scenario = await startScenario();
    // A second agent on an empty deployment, for the picker.
    staging = await startAgent(["--broker", scenario.redis.url(5), "--result-backend", scenario.redis.url(6), "--name", "staging"]);
    const out = await scenario.python(`
import json
from panel_fixture import add, fail, encode_video
ids = {"add": add.delay(2, 3).id, "fail": fail.delay("boom").id, "video": encode_video.apply_async(args=[42], priority=6).id}
# Nobody consumes "parked": these wait there, at two priorities.
ids["parked"] = [add.apply_async(args=[i, i], queue="parked", routing_key="parked", priority=p).id for i, p in enumerate([0, 6, 6])]
print(json.dumps(ids))
`);
    sent = JSON.parse(out) as SentTasks;
    // Wait until the agent has seen the three tasks finish, so every view has them.
    await eventually(
      async () => {
        const { body } = await scenario.agent.get<{ tasks: { state: string }[] }>("/api/v1/tasks?state=SUCCESS,FAILURE");
        return body.tasks.length >= 3;
      },
      30_000,
      "tasks finished",
    );
    browser = await launchExtension();
  });

  after(async () => {
    await browser?.close();
    await stopAll();
  });

  it("adds an agent through the popup and shows it connected with its workers", async () => {
    const popup = await browser.open("popup.html");
    await popup.setViewportSize({ width: 400, height: 560 });
    await popup.fill("input[name=url]", "ftp://127.0.0.1");
    await popup.click("button[type=submit]");
    await waitForText(popup, "[role=alert]", /Only http:\/\/ and https:\/\/ agents are supported/);
    await popup.fill("input[name=url]", scenario.agent.url);
    await popup.fill("input[name=name]", "dev");
    await popup.click("button[type=submit]");
    const row = await waitForText(popup, 'li[data-agent="dev"]', /2 online · 0 offline · 1 failure in the last hour/, 20_000);
    assert.match(row, /connected/);
    const summary = await waitForText(popup, "section.current", /workers online/);
    assert.match(summary, /2\s+workers online/);
    assert.match(summary, /1\s+failed \(1 h\)/);
    await browser.screenshot(popup, "popup");
    panel = popup;
    await popup.setViewportSize({ width: 1280, height: 860 });
  });

  it("counts no worker on the badge while every worker is online", async () => {
    await refreshStatuses(panel);
    const badge = await browser.badge();
    // No count and no "!"; the dot of a problem (the parked queue nobody consumes) once findings came.
    assert.match(badge.text, /^•?$/);
    assert.match(badge.title, /dev: 0 offline workers/);
  });

  it("shows the overview: workers, activity per state, queue depths, registered tasks", async () => {
    await show("overview", "overview");
    const text = await waitForText(panel, "main", /Workers online/);
    assert.match(text, /Source: .+/);
    assert.equal(await panel.locator('[data-card="Workers online"] .value').innerText(), "2");
    assert.equal(await panel.locator('[data-card="Workers offline"] .value').innerText(), "0");
    assert.match(await panel.locator('[aria-label="Last hour"]').innerText(), /failure\s*1/);
    assert.match(text, /panel_fixture\.encode_video/);
    await waitForText(panel, "[data-live]", /Live/);
    await browser.screenshot(panel, "panel-overview");
    // Outside devtools the panel follows the system theme.
    await panel.emulateMedia({ colorScheme: "dark" });
    assert.equal(await panel.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(32, 33, 36)");
    await browser.screenshot(panel, "panel-overview-dark");
    await panel.emulateMedia({ colorScheme: "light" });
  });

  it("lists the workers, and a worker's detail shows its process and registered tasks", async () => {
    await show("workers", "workers");
    const table = await waitForText(panel, "table[aria-label=Workers]", /solo1@panel/);
    assert.match(table, /w1@panel\s+panel\s+prefork\s+2/);
    assert.match(table, /solo1@panel\s+panel\s+solo\s+1/);
    await browser.screenshot(panel, "panel-workers");
    await panel.click("table[aria-label=Workers] >> text=w1@panel");
    await panel.locator('[data-view="worker"]').waitFor();
    const detail = await waitForText(panel, "main", /Registered tasks/);
    assert.match(detail, new RegExp(`PID\\s+${scenario.workers.get("w1@panel")!.pid}`));
    assert.match(detail, /panel_fixture\.sleep_for/);
    assert.match(detail, /Workers › w1@panel/);
    await browser.screenshot(panel, "panel-worker-detail");
  });

  it("lists the tasks with their states and filters them by state and search", async () => {
    await show("tasks", "tasks");
    const table = await waitForText(panel, "table[aria-label=Tasks]", new RegExp(sent.fail.slice(0, 8)));
    assert.match(table, new RegExp(`${sent.add.slice(0, 8)}…\\s+panel_fixture\\.add\\s+success\\s+\\[2,\\s*3\\]`));
    await browser.screenshot(panel, "panel-tasks");
    await panel.locator('[aria-label="Filter by state"] label', { hasText: "failure" }).click();
    await eventually(
      async () => /state=FAILURE/.test(panel.url()) && (await panel.locator("table[aria-label=Tasks] tbody tr").count()) === 1,
      10_000,
      "only the failed task",
    );
    assert.match(await panel.locator("table[aria-label=Tasks] tbody").innerText(), /panel_fixture\.fail\s+failure/);
    await show("tasks", "tasks");
    await panel.fill("input[aria-label=Search]", "encode_video");
    await panel.press("input[aria-label=Search]", "Enter");
    await eventually(async () => (await panel.locator("table[aria-label=Tasks] tbody tr").count()) === 1, 10_000, "search narrows to one task");
    assert.match(await panel.locator("table[aria-label=Tasks] tbody").innerText(), /panel_fixture\.encode_video/);
  });

  it("narrows the tasks to a time range: a recent span that stays relative, or a custom one", async () => {
    await show("tasks", "tasks");
    await waitForText(panel, "table[aria-label=Tasks]", new RegExp(sent.fail.slice(0, 8)));
    const rows = () => panel.locator("table[aria-label=Tasks] tbody tr").count();
    const all = await rows();
    await panel.selectOption("select[aria-label=Received]", "-1h");
    await eventually(async () => /since=-1h/.test(panel.url()) && (await rows()) === all, 10_000, "the last hour holds every task");
    // A custom range starting tomorrow: nothing.
    await panel.selectOption("select[aria-label=Received]", "custom");
    const tomorrow = new Date(Date.now() + 86_400_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await panel.fill("input[aria-label='Received from']", tomorrow);
    await waitForText(panel, "main", /No task matches these filters/);
    assert.match(panel.url(), /since=20\d\d-/);
    await browser.screenshot(panel, "panel-tasks-time-range");
    await panel.selectOption("select[aria-label=Received]", "");
    await eventually(async () => !/since=/.test(panel.url()) && (await rows()) === all, 10_000, "any time again");
  });

  it("shows a failed task's arguments, error and full traceback", async () => {
    await show(`tasks/${sent.fail}`, "task");
    const text = await waitForText(panel, "main", /Traceback/);
    assert.match(text, /ValueError/);
    assert.match(await panel.locator("pre.traceback").innerText(), /Traceback \(most recent call last\)[\s\S]*ValueError: boom/);
    assert.match(await panel.locator('[data-value="args"]').innerText(), /boom/);
    assert.match(text, /Timeline/);
    assert.match(text, /Worker\s+w1@panel|Worker\s+solo1@panel/);
    await browser.screenshot(panel, "panel-task-detail");
  });

  it("lists the queues with depths, and a queue's detail splits the depth per priority", async () => {
    await show("queues", "queues");
    const table = await waitForText(panel, "table[aria-label=Queues]", /parked/);
    assert.match(table, /media\s+media \(direct\)\s+media\.encode/);
    assert.match(table, /parked[^\n]*3 \(p0: 1, p6: 2\)/);
    await browser.screenshot(panel, "panel-queues");
    await show("queues/parked", "queue");
    const depths = await waitForText(panel, '[aria-label="Depth per priority"]', /Priority/);
    assert.match(depths, /0\s+1/);
    assert.match(depths, /6\s+2/);
    assert.match(await panel.locator("main").innerText(), /No worker consumes from this queue/);
    await browser.screenshot(panel, "panel-queue-detail");
  });

  it("shows the configuration by group, with secrets masked and the sources of each view", async () => {
    await show("config", "config");
    const text = await waitForText(panel, "main", /Which source serves each view/, 20_000);
    assert.match(text, /Queues and routing/);
    assert.match(text, /broker_transport_options/);
    assert.match(text, /Name\s+test-agent/);
    assert.ok(!text.includes(SECRET_SETTING), "the secret setting is masked");
    await browser.screenshot(panel, "panel-config");
  });

  it("shows the periodic tasks with readable schedules and kinds", async () => {
    await show("periodic", "periodic");
    const table = await waitForText(panel, "table[aria-label='Periodic tasks']", /nightly-report/, 20_000);
    assert.match(table, /nightly-report\s+panel_fixture\.report\s+at 00:00 every day\s+crontab/);
    assert.match(table, /heartbeat-every-30s\s+panel_fixture\.add\s+every 30 seconds\s+interval/);
    assert.match(table, /at-sunrise[^\n]*solar/);
    await browser.screenshot(panel, "panel-periodic");
  });

  it("follows the event stream: a task sent while the list is open appears without a reload", async () => {
    await show("tasks", "tasks");
    await waitForText(panel, "[data-live]", /Live/);
    const id = (await scenario.python(`from panel_fixture import add\nprint(add.delay(40, 2).id)`)).trim();
    await waitForText(panel, "table[aria-label=Tasks]", new RegExp(id.slice(0, 8)), 20_000);
  });

  it("switches agents with the picker, and adds one from the panel", async () => {
    await show("agents", "agents");
    await panel.fill("input[name=url]", staging.url);
    await panel.fill("input[name=name]", "staging");
    await panel.click("button[type=submit]");
    // A new agent becomes the current one; the form goes back to the overview.
    await panel.locator('[data-view="overview"]').waitFor();
    await show("workers", "workers");
    await waitForText(panel, "main", /No worker seen yet/);
    const picker = panel.locator("select[aria-label=Agent]");
    const devId = await picker.locator("option", { hasText: "dev" }).getAttribute("value");
    await picker.selectOption(devId!);
    await waitForText(panel, "table[aria-label=Workers]", /w1@panel/);
    const stagingId = await picker.locator("option", { hasText: "staging" }).getAttribute("value");
    await picker.selectOption(stagingId!);
    await show("config", "config");
    await waitForText(panel, "main", /Name\s*staging/, 20_000);
    await picker.selectOption(devId!);
    await show("agents", "agents");
    await waitForText(panel, 'li[data-agent="staging"]', /connected/);
    await browser.screenshot(panel, "panel-agents");
  });

  it("pages through long task lists with the agent's cursor", async () => {
    await scenario.python(`from celery import group\nfrom panel_fixture import add\ngroup(add.s(i, 1) for i in range(55)).apply_async()`);
    const total = await eventually(
      async () => {
        const { body } = await scenario.agent.get<{ total: number }>("/api/v1/tasks?name=panel_fixture.add&state=SUCCESS&limit=1");
        return body.total >= 56 ? body.total : null;
      },
      30_000,
      "56 add tasks succeeded",
    );
    await show("tasks?name=panel_fixture.add&state=SUCCESS", "tasks");
    await waitForText(panel, ".pager", new RegExp(`50 shown of ${total} matching tasks`));
    assert.equal(await panel.locator("table[aria-label=Tasks] tbody tr").count(), 50);
    await panel.click("text=Next page →");
    await waitForText(panel, ".pager", new RegExp(`${total - 50} shown of ${total} matching tasks`));
    assert.match(panel.url(), /cursor=/);
    await panel.click("text=← Previous");
    await waitForText(panel, ".pager", /50 shown of/);
  });

  it("counts a killed worker on the badge and marks it offline in the workers view", async () => {
    await scenario.workers.get("solo1@panel")!.kill();
    await show("workers", "workers");
    await waitForText(panel, "table[aria-label=Workers] tr.offline", /solo1@panel/, 60_000);
    const badge = await eventually(
      async () => {
        await refreshStatuses(panel);
        const b = await browser.badge();
        return b.text === "1" ? b : null;
      },
      30_000,
      "badge shows 1",
    );
    // Each agent's line, then its problems' sentences (the parked queue), then the next agent.
    assert.match(badge.title, /dev: 1 offline worker\b[^\n]*\n(?: {2}• [^\n]*\n)*staging: 0 offline workers/);
    await browser.screenshot(panel, "panel-worker-offline");
  });

  it("loses nothing when Chromium stops the background service worker", async () => {
    const before = await browser.worker();
    await before.evaluate(() => Object.assign(globalThis, { stillTheSameWorker: true }));
    const cdp = await browser.context.newCDPSession(panel);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    // A message wakes the worker up again; its globals are gone, the storage is not.
    const statuses = await eventually(
      () => panel.evaluate(() => chrome.runtime.sendMessage({ type: "refresh" }) as Promise<Record<string, { summary: { workersOffline: number } | null }>>),
      15_000,
      "the restarted worker answers",
    );
    const after = await browser.worker();
    assert.equal(await after.evaluate(() => "stillTheSameWorker" in globalThis), false, "the worker was restarted");
    assert.deepEqual(
      Object.values(statuses)
        .map((s) => s.summary?.workersOffline)
        .sort(),
      [0, 1],
    );
    assert.equal((await browser.badge()).text, "1");
    assert.equal(await after.evaluate(async () => Boolean(await chrome.alarms.get("poll-agents"))), true, "the poll alarm is still set");
  });
});
