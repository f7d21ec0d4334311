/**
 * The Configuration view in headless Chromium (the web panel the agent serves, the same code as the
 * extension's) against a real worker started with -E under an app that leaves
 * worker_send_task_events at its default: defaults are hidden until asked for (the toggle says how
 * many), except the one the events contradict; the search filters by name and by value; values
 * read with their units, the raw value kept in the title. Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { CeleryWorker, eventually, runPython, startAgent, type AgentProcess } from "../harness/deployment";
import { browserSession, waitForText } from "../harness/browser";

const env = { FIXTURE_DEFAULT_SETTINGS: "worker_send_task_events" };
let agent: AgentProcess;

const session = browserSession(async (redis) => {
  const broker = redis.url(0);
  await CeleryWorker.start({ broker, backend: broker, name: "cfg@e2e", pool: "solo", env });
  agent = await startAgent(["--broker", broker]);
  await runPython(`import panel_fixture as p; p.add.delay(1, 2).get(timeout=30)`, broker, broker, env);
  await eventually(
    async () => {
      const c = (await agent.get<any>("/api/v1/config")).body;
      return c.groups?.some((g: any) => g.settings.some((s: any) => s.key === "worker_send_task_events" && s.observed?.value === true));
    },
    30_000,
    "the agent saw the worker's task events",
  );
});

const keys = () => session.page.locator(".config-group table.grid tbody tr td:first-child").allInnerTexts();

it("hides defaults until asked, except a default the events contradict", async () => {
  await session.page.goto(`${agent.url}/#/config`);
  await waitForText(session.page, '[data-group="task"]', /task_time_limit/, 20_000);
  const shown = await keys();
  assert.ok(shown.includes("task_time_limit"), "a setting the app sets");
  assert.ok(!shown.includes("worker_prefetch_multiplier"), "a default, hidden");
  // A default (off) the workers contradict by sending task events (-E): shown, with what was seen.
  const row = session.page.locator("tr", { has: session.page.locator("td:first-child", { hasText: /^worker_send_task_events$/ }) });
  assert.match(await row.innerText(), /false[\s\S]*seen: the worker sends task events/);
  const toggle = session.page.locator("label.show-defaults");
  const total = Number(/\((\d+)\)/.exec(await toggle.innerText())![1]);
  assert.ok(total > 50, `defaults counted: ${total}`);
  // Units, and the raw value in the title.
  const limit = session.page.locator("tr", { has: session.page.locator("td:first-child", { hasText: /^task_time_limit$/ }) });
  assert.match(await limit.innerText(), /60 s/);
  const expires = session.page.locator("tr", { has: session.page.locator("td:first-child", { hasText: /^result_expires$/ }) });
  assert.equal(await expires.count(), 0, "result_expires is a default");
  await session.browser.screenshot(session.page, "config-defaults-hidden");

  await toggle.locator("input").check();
  await waitForText(session.page, '[data-group="worker"]', /worker_prefetch_multiplier/);
  assert.ok((await keys()).length > shown.length + 50);
  assert.match(await expires.innerText(), /1 day/);
  assert.equal(await expires.locator("[data-raw]").getAttribute("data-raw"), "1 day, 0:00:00");
  await toggle.locator("input").uncheck();
});

it("the search filters by setting name and by value", async () => {
  const search = session.page.locator("input.config-search");
  await search.fill("time_limit");
  await eventually(async () => (await keys()).join(",") === "task_soft_time_limit,task_time_limit", 10_000, "names filtered");
  // By value: the queue name "slowlane" is in task_queues only.
  await search.fill("slowlane");
  await eventually(async () => (await keys()).join(",") === "task_queues", 10_000, "values filtered");
  // A match among hidden defaults is said, not silently dropped.
  await search.fill("prefetch");
  await waitForText(session.page, ".hidden-matches", /1 more matching setting/);
  await session.page.locator(".hidden-matches button").click();
  await eventually(async () => (await keys()).join(",") === "worker_prefetch_multiplier", 10_000, "defaults searched once shown");
  await session.browser.screenshot(session.page, "config-search");
});
