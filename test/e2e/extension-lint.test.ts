/** `web-ext lint` (Mozilla's add-on linter, offline) on the Firefox build. Needs `npm run build`. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../fixtures/deployment";

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}

it("web-ext lint finds no error or notice in dist/firefox", async () => {
  const dir = join(REPO_ROOT, "dist", "firefox");
  assert.ok(existsSync(join(dir, "manifest.json")), "dist/firefox has no build: run `npm run build` first");
  const webExt = join(REPO_ROOT, "node_modules", ".bin", "web-ext");
  // web-ext exits non-zero when it finds errors; the JSON report says which either way.
  const { stdout } = await promisify(execFile)(webExt, ["lint", "--source-dir", dir, "--output", "json", "--no-input"]).catch((e: { stdout: string }) => e);
  const report = JSON.parse(stdout) as { errors: LintMessage[]; notices: LintMessage[]; warnings: LintMessage[] };
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.notices, []);
  // Preact's renderer assigns innerHTML (for dangerouslySetInnerHTML, which the panel never uses): the only warnings allowed.
  assert.deepEqual(
    report.warnings.filter((w) => w.code !== "UNSAFE_VAR_ASSIGNMENT"),
    [],
  );
});
