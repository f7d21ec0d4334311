/**
 * The npm package as someone installs it: `npm pack`, `npm install` of the tarball in an empty
 * directory, then the `celery-panel-agent` command from there: `npx celery-panel-agent --help`,
 * and a real run against a redis-server that answers /api/v1/health and serves the web panel.
 * Only the runtime dependencies come along.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, RedisServer, eventually, freePort, stopAll } from "../harness/deployment";

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe("the npm package", () => {
  const dir = mkdtempSync(join(tmpdir(), "celery-panel-package-"));
  const app = join(dir, "app");
  let files: string[];
  let redis: RedisServer;

  before(async () => {
    // The agent bundle is rebuilt from the sources here; the web panel comes from the extension
    // build (npm test builds it first; built here only when missing, so a concurrent browser test
    // never sees dist/ rewritten under it).
    await run(process.execPath, ["--import", "tsx", "scripts/build-agent.ts"], { cwd: REPO_ROOT });
    if (!existsSync(join(REPO_ROOT, "dist", "web", "index.html")))
      await run(process.execPath, ["--import", "tsx", "scripts/build-extension.ts"], { cwd: REPO_ROOT });
    // --ignore-scripts: prepack would run the full build, which the lines above stand for.
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: REPO_ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "clean-app", private: true }));
    // From the npm cache when it has everything (offline here), else from the registry.
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, packed!.filename)], { cwd: app });
    redis = await RedisServer.start();
  });

  after(async () => {
    await stopAll();
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the agent bundle, the web panel and the README, and no sources or tests", () => {
    for (const file of ["package.json", "README.md", "dist/agent/cli.js", "dist/web/index.html", "dist/web/panel.js", "dist/web/panel.css"])
      assert.ok(files.includes(file), `${file} is packed`);
    const stray = files.filter((f) => !/^(package\.json|README\.md|dist\/agent\/|dist\/web\/)/.test(f));
    assert.deepEqual(stray, []);
  });

  it("installs only the runtime dependencies", () => {
    for (const dev of Object.keys(pkg.devDependencies))
      assert.equal(existsSync(join(app, "node_modules", dev)), false, `${dev} (a devDependency) was installed`);
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(existsSync(join(app, "node_modules", dep, "package.json")), `${dep} is installed`);
  });

  it("answers `npx celery-panel-agent --help` and --version from a clean directory", async () => {
    const help = await run("npx", ["--no", "--", "celery-panel-agent", "--help"], { cwd: app });
    assert.match(help.stdout, /^Usage: celery-panel-agent \[options\]/);
    assert.match(help.stdout, /--broker/);
    const version = await run("npx", ["--no", "--", "celery-panel-agent", "--version"], { cwd: app });
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it("runs against a redis-server: health answers, and the web panel is served at /", async () => {
    const port = await freePort();
    const bin = join(app, "node_modules", ".bin", "celery-panel-agent");
    const agent = spawn(bin, ["--broker", redis.url(0), "--port", String(port), "--json"], {
      cwd: app,
      // Its task history in the test's directory, not the user's.
      env: { ...process.env, CELERY_BROKER_URL: "", CELERY_RESULT_BACKEND: "", CELERY_PANEL_DATA_DIR: join(app, "data") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    agent.stdout!.on("data", (d) => (output += d));
    agent.stderr!.on("data", (d) => (output += d));
    const exited = new Promise((resolve) => agent.once("exit", resolve));
    try {
      const health = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
          const body = (await res.json()) as { agent: { version: string }; broker: { state: string } };
          return body.broker.state === "connected" ? body : null;
        },
        20_000,
        `the installed agent's health (output: ${output})`,
      );
      assert.equal(health.agent.version, pkg.version);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script src="panel\.js"><\/script>/);
      // --json: every line of the log is one JSON object.
      const lines = output.trim().split("\n");
      assert.ok(
        lines.some((line) => line.includes('"event":"listening"')),
        output,
      );
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
    } finally {
      agent.kill("SIGTERM");
      await exited;
    }
  });
});
