/**
 * Builds the extension: one source, two browsers, and the panel's web build for the agent to serve.
 *   tsx scripts/build-extension.ts          -> dist/chrome, dist/firefox, dist/celery-panel-{chrome,firefox}.zip,
 *                                              dist/web (the panel page served at the agent's root URL)
 *   tsx scripts/build-extension.ts --watch  -> the same, rebuilt when a source file changes
 *   --check-budgets                         -> exit 1 when a bundle is over its gzip budget
 * esbuild bundles each entry (minified IIFE: no remote code, no eval, default CSP); the root
 * manifest.json is turned into each browser's manifest by scripts/extension/manifest.ts.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { ICON_SIZES, renderIconPng } from "./extension/icons";
import { manifestFor, TARGET_BROWSERS, type Manifest, type TargetBrowser } from "./extension/manifest";
import { createZip } from "./extension/zip";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
const STAGE = join(DIST, ".extension-bundles");
const WEB = join(DIST, "web");
const WEB_STAGE = join(DIST, ".web-bundles");

const ENTRIES = {
  background: "extension/background/index.ts",
  popup: "extension/popup/index.tsx",
  panel: "extension/panel/index.tsx",
  devtools: "extension/panel/devtools.ts",
  // The "This page" view's machinery, its own bundle beside the panel's (panel/page/page-script.ts).
  page: "extension/panel/page/entry.ts",
};

/**
 * uPlot, imported by the panel (a dynamic import of this file of the build) when a chart is first
 * drawn: an ES module, where the other bundles are scripts (components/charts/uplot-loader.ts).
 */
const CHARTS_ENTRY = { charts: "extension/components/charts/uplot-entry.ts" };

const PAGES = {
  "popup.html": "extension/popup/popup.html",
  "panel.html": "extension/panel/panel.html",
  "devtools.html": "extension/panel/devtools.html",
};

/** Gzipped size limits of each bundle (JS + CSS), in bytes. */
export const BUNDLE_BUDGETS: Record<string, number> = { panel: 80 * 1024, popup: 40 * 1024, background: 22 * 1024, page: 8 * 1024, charts: 26 * 1024 };

const options: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: STAGE,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome120", "firefox128"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  charset: "utf8",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
};

/**
 * The same panel entry, bundled for an ordinary web page: webextension-polyfill throws when loaded
 * outside an extension, so it is swapped for a stub (the served page calls no extension API).
 */
const chartsOptions: esbuild.BuildOptions = { ...options, entryPoints: CHARTS_ENTRY, format: "esm" };

const webOptions: esbuild.BuildOptions = {
  ...options,
  entryPoints: { panel: ENTRIES.panel },
  outdir: WEB_STAGE,
  alias: { "webextension-polyfill": "./scripts/extension/no-extension-apis.ts" },
};

const webChartsOptions: esbuild.BuildOptions = { ...chartsOptions, outdir: WEB_STAGE };

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

function writeBrowserBuild(browser: TargetBrowser, source: Manifest, version: string): void {
  const out = join(DIST, browser);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "icons"), { recursive: true });
  for (const file of readdirSync(STAGE)) copyFileSync(join(STAGE, file), join(out, file));
  for (const [name, from] of Object.entries(PAGES)) copyFileSync(join(ROOT, from), join(out, name));
  for (const size of ICON_SIZES) writeFileSync(join(out, "icons", `icon-${size}.png`), renderIconPng(size));
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifestFor(browser, source, version), null, 2)}\n`);
  const entries = filesUnder(out).map((path) => ({ name: relative(out, path).split("\\").join("/"), data: readFileSync(path) }));
  writeFileSync(join(DIST, `celery-panel-${browser}.zip`), createZip(entries));
}

function writeWebBuild(): void {
  rmSync(WEB, { recursive: true, force: true });
  mkdirSync(join(WEB, "icons"), { recursive: true });
  for (const file of readdirSync(WEB_STAGE)) copyFileSync(join(WEB_STAGE, file), join(WEB, file));
  // The served page has no devtools, so no "This page" view: it goes without page.js.
  const html = readFileSync(join(ROOT, PAGES["panel.html"]), "utf8").replace(/^\s*<!--[^\n]*This page[^\n]*-->\n\s*<script src="page\.js"><\/script>\n/m, "");
  if (html.includes("page.js")) throw new Error("panel.html: the page.js tag was not found where the web build removes it");
  writeFileSync(join(WEB, "index.html"), html);
  writeFileSync(join(WEB, "icons", "icon-32.png"), renderIconPng(32));
  console.log("web panel: dist/web (served by the agent at its root URL)");
}

/** Gzipped size of each entry's JS and CSS, checked against the budgets. */
function reportSizes(): boolean {
  let withinBudget = true;
  for (const entry of [...Object.keys(ENTRIES), ...Object.keys(CHARTS_ENTRY)]) {
    const files = [`${entry}.js`, `${entry}.css`].filter((f) => readdirSync(STAGE).includes(f));
    const bytes = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(STAGE, f)), { level: 9 }).length, 0);
    const budget = BUNDLE_BUDGETS[entry];
    const over = budget !== undefined && bytes > budget;
    if (over) withinBudget = false;
    const limit = budget === undefined ? "" : ` (budget ${(budget / 1024).toFixed(0)} KB${over ? ": OVER" : ""})`;
    console.log(`  ${entry.padEnd(11)} ${(bytes / 1024).toFixed(1).padStart(6)} KB gzip  ${files.join(" + ")}${limit}`);
  }
  return withinBudget;
}

function assemble(): boolean {
  const source = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as Manifest;
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  for (const browser of TARGET_BROWSERS) writeBrowserBuild(browser, source, version);
  console.log(`extension ${version}: dist/chrome, dist/firefox and their zips`);
  return reportSizes();
}

/** The build options plus a step that runs after every successful (re)build. */
function thenRun(build: esbuild.BuildOptions, step: () => unknown): esbuild.BuildOptions {
  return {
    ...build,
    plugins: [...(build.plugins ?? []), { name: "after-build", setup: (b) => b.onEnd((result) => void (result.errors.length === 0 && step())) }],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { watch: { type: "boolean", default: false }, "check-budgets": { type: "boolean", default: false } },
    strict: true,
    allowPositionals: false,
  });
  rmSync(STAGE, { recursive: true, force: true });
  rmSync(WEB_STAGE, { recursive: true, force: true });
  if (values.watch) {
    const contexts = await Promise.all([
      esbuild.context(thenRun(options, assemble)),
      esbuild.context(thenRun(chartsOptions, assemble)),
      esbuild.context(thenRun(webOptions, writeWebBuild)),
      esbuild.context(thenRun(webChartsOptions, writeWebBuild)),
    ]);
    await Promise.all(contexts.map((context) => context.watch()));
    console.log("watching extension/ (HTML and manifest.json changes need a restart)…");
    return;
  }
  await Promise.all([esbuild.build(options), esbuild.build(chartsOptions), esbuild.build(webOptions), esbuild.build(webChartsOptions)]);
  writeWebBuild();
  if (!assemble()) {
    console.warn("warning: a bundle is over its size budget");
    if (values["check-budgets"]) process.exitCode = 1;
  }
}

await main();
