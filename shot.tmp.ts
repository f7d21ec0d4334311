import { chromium } from "playwright-core";
const [url, ...views] = process.argv.slice(2);
const ctx = await chromium.launchPersistentContext("/tmp/shot-profile-" + Date.now(), { executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1300, height: 900 }, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
const page = await ctx.newPage();
for (const v of views) {
  await page.goto(`${url}/#/${v}`);
  await page.waitForTimeout(2500);
  const file = `/tmp/shots/${v.replace(/[^a-z0-9]+/gi, "_") || "overview"}.png`;
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}
await ctx.close();
