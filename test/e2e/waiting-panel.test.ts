/**
 * Waiting messages and scheduled tasks in the panel (the web panel the agent serves, the same code
 * as the extension's), in headless Chromium against real workers: a queue's page lists the
 * messages waiting in it with their position and priority, the task list shows them waiting and a
 * countdown task scheduled with its due time, and the overview counts the scheduled ones.
 * Needs `npm run build` first (dist/web).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CeleryWorker, eventually, runPython, startAgent, type AgentProcess } from "../harness/deployment";
import { browserSession, waitForText } from "../harness/browser";

describe("waiting and scheduled tasks in the panel", () => {
  let agent: AgentProcess;
  let ids: { parked: string[]; later: string };

  const session = browserSession(async (redis) => {
    const [broker, backend] = [redis.url(0), redis.url(1)];
    await CeleryWorker.start({ broker, backend, name: "w1@panel", pool: "prefork", concurrency: 2, queues: ["celery"] });
    // Parked before the agent starts: only the queue knows them.
    const out = await runPython(
      `
import json, panel_fixture as p
parked = [p.add.apply_async((i, i), queue="nobody", priority=pr).id for i, pr in enumerate([6, 0, 9])]
print(json.dumps({"parked": parked}))
`,
      broker,
      backend,
    );
    agent = await startAgent(["--broker", broker, "--result-backend", backend, "--name", "waiting"]);
    const later = await runPython(`import panel_fixture as p\nprint(p.add.apply_async((1, 1), countdown=300).id)`, broker, backend);
    ids = { ...JSON.parse(out.trim().split("\n").pop()!), later: later.trim().split("\n").pop()! };
    await eventually(async () => (await agent.get<any>("/api/v1/tasks?state=SCHEDULED")).body.total === 1, 20_000, "the countdown task scheduled");
  });

  it("lists a queue's waiting messages, next first, with their priority", async () => {
    await session.page.goto(`${agent.url}/#/queues/nobody`);
    const table = await waitForText(session.page, "table[aria-label='Waiting messages']", /panel_fixture\.add/, 20_000);
    const rows = table.split("\n").filter((l) => l.includes("panel_fixture.add"));
    // Position, priority, id, name: workers take priority 0 first, then 6, then 9.
    assert.deepEqual(
      rows.map((r) => r.split("\t").slice(0, 2).join(" ")),
      ["1 0", "2 6", "3 9"],
    );
    const main = await session.page.locator("main").innerText();
    assert.match(main, /Read from the broker .* without taking any/);
    assert.match(main, /No recent task went through this queue/);
    await session.browser.screenshot(session.page, "waiting-queue-detail");
  });

  it("shows them waiting in the task list, and the countdown task scheduled with its due time", async () => {
    await session.page.goto(`${agent.url}/#/tasks`);
    const table = await waitForText(session.page, "table[aria-label=Tasks]", /scheduled/, 20_000);
    assert.match(table, /pending\s+waiting #2 · p6/);
    assert.match(table, /scheduled\s+due in [45] min/);
    assert.equal(await session.page.locator("[data-state=PENDING][data-waiting]").count(), 3);
    await session.browser.screenshot(session.page, "waiting-task-list");
    await session.page.goto(`${agent.url}/#/tasks/${ids.parked[0]}`);
    assert.match(await waitForText(session.page, ".waiting-box", /waiting in nobody, #2 in line, priority 6/), /no worker has it yet/);
    assert.match(await session.page.locator("table[aria-label='Task details']").innerText(), /Priority\s+6/);
    await session.browser.screenshot(session.page, "waiting-task-detail");
  });

  it("counts the scheduled tasks in the overview", async () => {
    await session.page.goto(`${agent.url}/#/overview`);
    const card = await waitForText(session.page, "[data-card='Scheduled tasks']", /Scheduled task/, 20_000);
    assert.match(card, /^1\s+Scheduled task\b/);
    await session.browser.screenshot(session.page, "waiting-overview");
  });
});
