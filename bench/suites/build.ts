/** Extension size: `npm run build`, then each bundle's JS + CSS gzipped (level 9), as the build reports it. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { REPO_ROOT } from "../../test/harness/deployment";
import { log, run } from "../lib/proc";
import type { BenchContext } from "../run";

const BUDGETS = { panel: 80, popup: 40, background: 20 } as const;

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
}
