// The web panel's files at the agent's root (agent/http/static.ts): the build's files and
// nothing else, the page under a strict CSP, and a note saying how to build when there is none.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Hono } from "hono";
import { mountWebPanel } from "../../agent/http/static";

function appServing(dir: string | null): Hono {
  const app = new Hono();
  mountWebPanel(app, dir);
  return app;
}

describe("web panel files", () => {
  const dir = mkdtempSync(join(tmpdir(), "web-build-"));
  mkdirSync(join(dir, "icons"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><script src="panel.js"></script>');
  writeFileSync(join(dir, "panel.js"), "console.log(1)");
  writeFileSync(join(dir, "icons", "icon-32.png"), "png");
  writeFileSync(join(dir, "notes.txt"), "not a web file");
  const app = appServing(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("/ is the page, with a CSP that allows only its own files and this origin", async () => {
    const res = await app.request("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self';.* connect-src 'self';.* frame-ancestors 'none'/);
    assert.match(await res.text(), /panel\.js/);
  });

  test("its files by path, with their types", async () => {
    assert.equal((await app.request("/panel.js")).headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal((await app.request("/icons/icon-32.png")).headers.get("content-type"), "image/png");
  });

  test("nothing else: other extensions, other paths, climbing out", async () => {
    for (const path of ["/notes.txt", "/../package.json", "/%2e%2e/package.json", "/icons/../index.html.bak", "/missing.js"]) {
      assert.equal((await app.request(path)).status, 404, path);
    }
  });

  test("without a build, / says how to make one", async () => {
    const res = await appServing(null).request("/");
    assert.equal(res.status, 404);
    assert.match(await res.text(), /npm run build/);
  });
});
