/**
 * The built extension is safe to install: `web-ext lint` (Mozilla's add-on linter, offline) on the
 * Firefox build, the default content security policy kept, no remote code, and no console output
 * that could carry an agent's token. Needs `npm run build`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../harness/deployment";

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

const BUILDS = ["chrome", "firefox", "web"].map((b) => join(REPO_ROOT, "dist", b));

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const builtFiles = (ext: RegExp) => BUILDS.flatMap((dir) => filesOf(dir).filter((f) => ext.test(f)));

it("keeps the browsers' default content security policy: no content_security_policy, nothing unsafe", () => {
  for (const browser of ["chrome", "firefox"]) {
    const text = readFileSync(join(REPO_ROOT, "dist", browser, "manifest.json"), "utf8");
    const manifest = JSON.parse(text) as Record<string, unknown>;
    assert.equal(manifest.content_security_policy, undefined, `${browser} manifest loosens the CSP`);
    assert.doesNotMatch(text, /unsafe-eval|unsafe-inline|wasm-unsafe|sandbox/i, browser);
  }
  const source = JSON.parse(readFileSync(join(REPO_ROOT, "manifest.json"), "utf8")) as Record<string, unknown>;
  assert.equal(source.content_security_policy, undefined, "the source manifest loosens the CSP");
});

it("loads no remote code: every script, style and font is a file of the build", () => {
  const remote = /^(https?:)?\/\//i;
  for (const file of builtFiles(/\.html$/)) {
    const html = readFileSync(file, "utf8");
    for (const [, url] of html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)) {
      assert.doesNotMatch(url!, remote, `${file} loads ${url}`);
    }
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>\s*\S/i, `${file} has an inline script`);
  }
  for (const file of builtFiles(/\.css$/)) {
    const css = readFileSync(file, "utf8");
    assert.doesNotMatch(css, /@import|url\(\s*["']?(https?:)?\/\//i, `${file} fetches a remote style or font`);
  }
  for (const file of builtFiles(/\.js$/)) {
    const js = readFileSync(file, "utf8");
    // Remote code would come in through one of these; the bundles need none of them.
    assert.doesNotMatch(js, /importScripts\s*\(|\bimport\s*\(\s*["'`]https?:|new Function\s*\(|[^\w.$]eval\s*\(/, `${file} can load or build code at run time`);
    assert.doesNotMatch(js, /createElement\(\s*["']script["']\s*\)/, `${file} injects a script element`);
    assert.doesNotMatch(js, /fonts\.googleapis|cdn\.|unpkg\.com|jsdelivr/i, `${file} names a CDN`);
  }
});

/** The only console calls in the build: webextension-polyfill's, which log a method name and a messaging error. */
const ALLOWED_CONSOLE = [
  /^console\.warn\(`\$\{\w+\} API method doesn't seem to support the callback parameter/,
  /^console\.error\("Failed to send onMessage rejected reply",/,
];

it("never logs: no console call in the extension's code, none in the build but the polyfill's two", () => {
  const sources = filesOf(join(REPO_ROOT, "extension")).filter((f) => /\.tsx?$/.test(f));
  for (const file of sources) assert.doesNotMatch(readFileSync(file, "utf8"), /\bconsole\s*\./, `${file} writes to the console (it could print a token)`);
  for (const file of builtFiles(/\.js$/)) {
    const js = readFileSync(file, "utf8");
    for (const m of js.matchAll(/\bconsole\s*\.\s*\w+\s*\(/g)) {
      const call = js.slice(m.index, m.index + 160);
      assert.ok(
        ALLOWED_CONSOLE.some((re) => re.test(call)),
        `${file}: unexpected console call: ${call}`,
      );
    }
  }
});
