/**
 * A task's page tells its story, in headless Chromium on the web panel the agent serves, against
 * real workers: a task that retried once and then succeeded shows its Result and no red error box,
 * its timeline attempt by attempt (the retry's exception there); a task list row with an inferred
 * queue shows it in italics with a tooltip; tasks that ran before the agent say why they have no name,
 * and the overview shows the workers' own counts per task name beside the list's. Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CeleryWorker, eventually, runPython, startAgent, type AgentProcess } from "../harness/deployment";
import { browserSession, waitForText } from "../harness/browser";

/** Celery's defaults for task-sent events and results: queues are only inferred. */
const PLAIN = { FIXTURE_EXTRA_SETTINGS: JSON.stringify({ task_send_sent_event: false, result_extended: false }) };

describe("a task's page tells its story", () => {
  let agent: AgentProcess;
  let id: string;

  const session = browserSession(async (redis) => {
    await CeleryWorker.start({ name: "story@panel", concurrency: 2, queues: ["celery"], broker: redis.url(0), backend: redis.url(1), env: PLAIN });
    // Two tasks before the agent watches: only their stored results will be known.
    await runPython(
      `import panel_fixture as p
[r.get(timeout=30) for r in [p.add.delay(1, 1), p.add.delay(2, 2)]]`,
      redis.url(0),
      redis.url(1),
      PLAIN,
    );
    agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1)]);
    id = (await runPython(`import panel_fixture as p\nr = p.flaky.delay(1)\nr.get(timeout=30)\nprint(r.id)`, redis.url(0), redis.url(1), PLAIN)).trim();
    await eventually(
      async () => {
        const t = (await agent.get<any>(`/api/v1/tasks/${id}`)).body;
        return t.state === "SUCCESS" && t.timeline.some((e: any) => e.type === "task-succeeded");
      },
      20_000,
      "the task's success seen",
    );
  });

  it("leads with the Result of a task that succeeded on its retry, with no error box, and each attempt in the timeline", async () => {
    await session.page.goto(`${agent.url}/#/tasks/${id}`);
    const result = await waitForText(session.page, '[data-value="Result"]', /ok after 1 retries/, 20_000);
    assert.match(result, /Result/);
    assert.equal(await session.page.locator(".error-box").count(), 0, "no red error box");
    assert.equal(await session.page.locator(".task-error").count(), 0);
    assert.match(await session.page.locator(".retried-note").innerText(), /attempt 2, after 1 retry/);
    await session.browser.screenshot(session.page, "task-story-retried");
    const rows = await session.page.locator("table[aria-label=Timeline] tbody tr").allInnerTexts();
    const events = rows
      .map((r) => r.split("\t").map((c) => c.trim()))
      .filter((c) => c[5] === "event")
      .map((c) => `${c[0]} ${c[3]}`);
    assert.deepEqual(events, ["1 task-received", "1 task-started", "1 task-retried", "2 task-received", "2 task-started", "2 task-succeeded"]);
    const retry = session.page.locator("table[aria-label=Timeline] tbody tr", { hasText: "task-retried" });
    assert.match(await retry.innerText(), /attempt 0 failed/);
    await retry.locator("summary").click();
    assert.match(await retry.locator(".step-traceback").innerText(), /Traceback \(most recent call last\)/);
    const details = await session.page.locator("table[aria-label='Task details']").innerText();
    assert.match(details, /Children\s+—/, "not its own child");
    await session.browser.screenshot(session.page, "task-story-retried-timeline");
  });

  it("shows an inferred queue in italics, saying how it was inferred", async () => {
    await session.page.goto(`${agent.url}/#/tasks?queue=celery`);
    const row = session.page.locator("table[aria-label=Tasks] tbody tr", { hasText: id.slice(0, 8) });
    await row.waitFor({ timeout: 20_000 });
    const queue = row.locator("em.inferred");
    assert.equal(await queue.innerText(), "celery");
    assert.match((await queue.getAttribute("title")) ?? "", /consumes only this queue/);
    await session.browser.screenshot(session.page, "task-story-inferred-queue");
  });

  it("says why a task from before the agent has no name, and keeps the workers' counts per name in the overview", async () => {
    await session.page.goto(`${agent.url}/#/tasks`);
    const unnamed = session.page.locator("table[aria-label=Tasks] .result-only").first();
    await unnamed.waitFor({ timeout: 20_000 });
    assert.match((await unnamed.getAttribute("title")) ?? "", /Only the stored result is known.*result_extended = True/);
    await session.page.goto(`${agent.url}/#/overview`);
    await waitForText(session.page, "table[aria-label='Tasks by name']", /panel_fixture\.add/, 20_000);
    const byName = await eventually(
      async () => {
        const text = await session.page.locator("table[aria-label='Tasks by name']").innerText();
        return /panel_fixture\.add\s+0\s+2/.test(text) ? text : null;
      },
      20_000,
      "the add tasks counted by the workers' stats",
    );
    assert.match(byName, /panel_fixture\.flaky\s+1\s+2/, "the flaky task ran twice (its retry counts), listed once");
    await session.page.locator(".task-totals").scrollIntoViewIfNeeded();
    await session.browser.screenshot(session.page, "task-story-totals");
  });
});
