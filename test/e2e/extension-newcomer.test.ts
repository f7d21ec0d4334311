/**
 * What a newcomer meets first, in the built extension (dist/chrome) in headless Chromium against a
 * real agent and real workers: the add-agent form suggests the agent's own port; a long table
 * scrolled under the navigation bar keeps an opaque header flush with the top of the view (no row
 * showing through); every view uses the one type scale (body text the same size everywhere); and
 * the task timeline reads to the millisecond with the gap between entries. Needs `npm run build`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { eventually, stopAll } from "../harness/deployment";
import { startScenario, type Scenario } from "../harness/scenario";
import { launchExtension, waitForText, type ExtensionBrowser } from "../harness/browser";

/** theme.css's --font-small, --font-body, --font-title, --font-number. */
const TYPE_SCALE = ["11px", "12px", "14px", "20px"];

describe("a newcomer's first look at the extension", () => {
  let scenario: Scenario;
  let browser: ExtensionBrowser;
  let panel: Page;
  let retried: string;

  const show = (hash: string, view: string) => browser.showView(panel, hash, view);

  before(async () => {
    scenario = await startScenario();
    // Enough tasks for the tasks table to scroll, and one that retried for a timeline with several entries.
    retried = (
      await scenario.python(`
from panel_fixture import add, flaky
for i in range(120):
    add.delay(i, i)
print(flaky.delay(1).id)
`)
    ).trim();
    await eventually(
      async () => {
        const { body } = await scenario.agent.get<{ total: number }>("/api/v1/tasks?state=SUCCESS");
        return body.total >= 121;
      },
      60_000,
      "every task run",
    );
    browser = await launchExtension();
    await browser.setAgents([{ id: "dev", name: "dev", url: scenario.agent.url, token: null }]);
    panel = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await stopAll();
  });

  it("suggests the agent's port (5580), not Flower's, in the add-agent form", async () => {
    const popup = await browser.open("popup.html");
    await popup.getByRole("button", { name: "+ Add agent" }).click();
    assert.equal(await popup.locator("input[name=url]").getAttribute("placeholder"), "http://127.0.0.1:5580");
    await popup.close();
  });

  it("keeps the tasks table's header opaque and flush under the navigation bar when scrolled", async () => {
    await show("tasks", "tasks");
    await waitForText(panel, "table[aria-label=Tasks] tbody", /panel_fixture\.add/, 20_000);
    await eventually(async () => (await panel.locator("table[aria-label=Tasks] tbody tr").count()) >= 40, 20_000, "a long table");
    await panel.evaluate(() => document.querySelector("main")!.scrollTo(0, 600));
    // As a string: the test's compiler would wrap named functions in a helper the page lacks.
    const seen = (await panel.evaluate(`(() => {
      const main = document.querySelector("main").getBoundingClientRect();
      const th = document.querySelector("table[aria-label=Tasks] thead th");
      const header = th.getBoundingClientRect();
      const x = header.left + header.width / 2;
      // What is drawn just under the navigation bar, and in the middle of the header's height.
      const hit = (y) => document.elementFromPoint(x, y)?.closest("th, td")?.tagName ?? "none";
      return { mainTop: main.top, headerTop: header.top, background: getComputedStyle(th).backgroundColor, atTop: hit(main.top + 1), inHeader: hit(header.top + header.height / 2) };
    })()`)) as { mainTop: number; headerTop: number; background: string; atTop: string; inHeader: string };
    const shot = await browser.screenshot(panel, "tasks-scrolled-sticky-header");
    assert.ok(Math.abs(seen.headerTop - seen.mainTop) <= 1, `the header sits at the top of the view (header ${seen.headerTop}, view ${seen.mainTop}; ${shot})`);
    assert.match(seen.background, /^rgb\(/, `an opaque header background (${seen.background})`);
    assert.equal(seen.atTop, "TH", `no row shows above the header (${shot})`);
    assert.equal(seen.inHeader, "TH", `no row shows through the header (${shot})`);
  });

  it("uses one type scale in every view, with body text the same size everywhere", async () => {
    const views: [string, string][] = [
      ["overview", "overview"],
      ["workers", "workers"],
      ["workers/w1%40panel", "worker"],
      ["tasks", "tasks"],
      [`tasks/${retried}`, "task"],
      ["queues", "queues"],
      ["config", "config"],
      ["periodic", "periodic"],
    ];
    const sizes: Record<string, { all: string[]; offScale: string[]; body: string[]; title: string[] }> = {};
    for (const [hash, view] of views) {
      await show(hash, view);
      await panel.locator("main table").first().waitFor({ timeout: 20_000 });
      sizes[hash] = (await panel.evaluate(`(() => {
        const size = (el) => getComputedStyle(el).fontSize;
        const leaves = [...document.querySelectorAll("main *")].filter((el) => el.childElementCount === 0 && el.textContent.trim());
        // Body text: table cells and paragraphs that are not code (nor a chart's legend, a table of labels).
        const body = [...document.querySelectorAll("main td, main p, main .dim")].filter((el) => !el.closest("code, pre, .mono, .badge, .breadcrumbs, .card, .uplot"));
        const offScale = leaves.filter((el) => !${JSON.stringify(TYPE_SCALE)}.includes(size(el))).slice(0, 3).map((el) => size(el) + " " + el.outerHTML.slice(0, 120));
        return { all: [...new Set(leaves.map(size))], offScale, body: [...new Set(body.map(size))], title: [...document.querySelectorAll(".breadcrumbs")].map(size) };
      })()`)) as { all: string[]; offScale: string[]; body: string[]; title: string[] };
    }
    for (const [hash, seen] of Object.entries(sizes)) {
      assert.deepEqual(seen.offScale, [], `${hash}: every font size is on the scale (${seen.all.join(", ")})`);
      assert.deepEqual(seen.body, ["12px"], `${hash}: body text is 12px`);
      assert.ok(
        seen.title.every((s) => s === "14px"),
        `${hash}: the view's title (breadcrumbs) is 14px (${seen.title.join(", ")})`,
      );
    }
    assert.ok(sizes["workers/w1%40panel"]!.title.length > 0, "a detail view has its breadcrumbs");
  });

  it("shows the task timeline to the millisecond, with its zone and the gap from the previous entry", async () => {
    await show(`tasks/${retried}`, "task");
    const timeline = await waitForText(panel, "table[aria-label=Timeline]", /task-succeeded/, 20_000);
    const rows = await panel
      .locator("table[aria-label=Timeline] tbody tr")
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(1, 3).map((td) => td.textContent!.trim())));
    assert.ok(rows.length >= 4, timeline);
    assert.match(rows[0]![0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/, "the first entry has the date, ms and the zone");
    assert.equal(rows[0]![1], "", "no gap before the first entry");
    for (const [at, gap] of rows.slice(1)) {
      assert.match(at!, /^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3} UTC/);
      assert.match(gap!, /^[+-](\d+(\.\d+)? m?s|<1 ms|\d+ min( \d+ s)?)$/);
    }
    const title = await panel.locator("table[aria-label=Timeline] tbody tr time").first().getAttribute("title");
    assert.match(title ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/, "the full ISO moment as a tooltip");
  });
});
