/**
 * Extension size: `npm run build`, then each bundle's JS + CSS gzipped (level 9), as the build reports
 * it. Also the "This page" view's id scan of a 1 MB JSON body (task-ids-scan.ts), in this process.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { REPO_ROOT } from "../../test/harness/deployment";
import { log, run } from "../lib/proc";
import { summarize } from "../lib/stats";
import type { BenchContext } from "../run";
import { measureTaskIdScan, SCAN_TARGET_MS } from "../task-ids-scan";

const BUDGETS = { panel: 80, popup: 40, background: 20, page: 8 } as const;

export async function buildSuite(ctx: BenchContext): Promise<void> {
  const { ms } = await run("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  log(`build: npm run build took ${Math.round(ms)} ms`);
  const dir = join(REPO_ROOT, "dist", "chrome");
  for (const [entry, kb] of Object.entries(BUDGETS)) {
    const files = [`${entry}.js`, `${entry}.css`].filter((f) => existsSync(join(dir, f)));
    const gz = files.reduce((n, f) => n + gzipSync(readFileSync(join(dir, f)), { level: 9 }).length, 0);
    const raw = files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
    ctx.figures.push({
      id: `extension.${entry}.gzip_kb`,
      row: "extension size",
      what: `${entry} (${files.join(" + ")}), gzip -9`,
      value: gz / 1024,
      unit: "KB",
      target: { op: "<=", limit: kb, text: `<= ${kb} KB` },
      note: `${(raw / 1024).toFixed(1)} KB minified before gzip`,
      limits: "the bundle's own code and libraries (preact, zod/mini for the shared schema, webextension-polyfill)",
    });
  }
  measureTaskIdScans(ctx);
}

function measureTaskIdScans(ctx: BenchContext): void {
  measureTaskIdScan().forEach((m, i) => {
    const summary = summarize(m.samples);
    ctx.figures.push({
      id: `extension.task_id_scan.${i === 0 ? "uuid_rows" : "whole_text"}.p50`,
      row: "task-id scan (This page)",
      what: `1 MB JSON body: ${m.what}`,
      value: summary.p50,
      unit: "ms",
      target: { op: "<=", limit: SCAN_TARGET_MS, text: `< ${SCAN_TARGET_MS} ms` },
      summary,
      note: `${m.megabytes.toFixed(2)} MB, ${m.ids} ids found; ${m.samples.length} scans after a warm-up, in Node (the panel runs the same code in Chromium's V8)`,
      limits: "one pass over the text hopping between dashes (extension/panel/page/task-ids.ts)",
    });
  });
}
