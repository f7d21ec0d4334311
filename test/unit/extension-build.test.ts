/** The build's pure parts: per-browser manifests, the zip writer, the icons. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { LOOPBACK_HOSTS } from "../../extension/agents/agent-url";
import { renderIconPng } from "../../scripts/extension/icons";
import { GECKO_ID, manifestFor, type Manifest } from "../../scripts/extension/manifest";
import { createZip, crc32 } from "../../scripts/extension/zip";
import { REPO_ROOT } from "../harness/deployment";

const source = JSON.parse(readFileSync(join(REPO_ROOT, "manifest.json"), "utf8")) as Manifest;
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };

describe("manifest", () => {
  it("is MV3 with the package's version, a popup, a devtools page, storage and alarms", () => {
    assert.equal(source.manifest_version, 3);
    assert.equal(source.name, "Celery Panel");
    assert.equal(source.version, pkg.version);
    assert.equal((source.action as { default_popup: string }).default_popup, "popup.html");
    assert.equal(source.devtools_page, "devtools.html");
    assert.deepEqual(source.permissions, ["storage", "alarms", "notifications"]);
  });

  it("grants loopback agents only, on any port, and leaves other origins optional", () => {
    assert.deepEqual(
      source.host_permissions,
      LOOPBACK_HOSTS.map((host) => `http://${host}/*`),
    );
    assert.deepEqual(source.optional_host_permissions, ["http://*/*", "https://*/*"]);
    assert.equal(source.content_security_policy, undefined, "the default CSP");
  });

  it("keeps Chrome's manifest as the source, with the version set", () => {
    const chrome = manifestFor("chrome", source, "9.9.9");
    assert.deepEqual(chrome, { ...source, version: "9.9.9" });
    assert.deepEqual(chrome.background, { service_worker: "background.js" });
  });

  it("gives Firefox background scripts, a gecko id and no data collection, and changes nothing else", () => {
    const { background, browser_specific_settings, ...rest } = manifestFor("firefox", source, "9.9.9");
    assert.deepEqual(background, { scripts: ["background.js"] });
    assert.deepEqual(browser_specific_settings, { gecko: { id: GECKO_ID, strict_min_version: "142.0", data_collection_permissions: { required: ["none"] } } });
    const { background: _chromeBackground, ...sourceRest } = source;
    assert.deepEqual(rest, { ...sourceRest, version: "9.9.9" });
  });
});

describe("zip writer", () => {
  it("writes an archive that Python's zipfile reads back byte for byte", () => {
    const dir = mkdtempSync(join(tmpdir(), "zip-test-"));
    try {
      const big = Buffer.from("celery ".repeat(5000));
      const entries = [
        { name: "manifest.json", data: Buffer.from('{"a":1}') },
        { name: "icons/icon-16.png", data: renderIconPng(16) },
        { name: "panel.js", data: big },
      ];
      const path = join(dir, "x.zip");
      writeFileSync(path, createZip(entries));
      const out = execFileSync("/usr/bin/python3", [
        "-c",
        "import sys, zipfile, hashlib; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(f'{i.filename} {i.compress_type} {hashlib.sha256(z.read(i)).hexdigest()}' for i in z.infolist()))",
        path,
      ]).toString();
      const sha = (b: Buffer) =>
        execFileSync("/usr/bin/python3", ["-c", "import sys, hashlib; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"], { input: b })
          .toString()
          .trim();
      const lines = out.trim().split("\n");
      assert.deepEqual(lines, [
        `manifest.json 0 ${sha(entries[0]!.data)}`,
        `icons/icon-16.png ${lines[1]!.split(" ")[1]} ${sha(entries[1]!.data)}`,
        `panel.js 8 ${sha(big)}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes the standard CRC-32", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
  });
});

describe("icons", () => {
  it("renders an RGBA PNG of the asked size with transparent corners and an opaque middle", () => {
    const png = renderIconPng(32);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 32);
    assert.equal(png.readUInt32BE(20), 32);
    const idatLength = png.readUInt32BE(33);
    const rows = inflateSync(png.subarray(41, 41 + idatLength));
    assert.equal(rows.length, 32 * (32 * 4 + 1));
    const alpha = (x: number, y: number) => rows[y * (32 * 4 + 1) + 1 + x * 4 + 3];
    assert.equal(alpha(0, 0), 0);
    assert.equal(alpha(16, 16), 255);
  });
});
