// The agent's log lines (agent/base/log.ts): readable by default, one JSON object with --json, and no
// password in either, whoever wrote the line.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { configureLog, log, type LogLevel } from "../../agent/base/log";

function capture(json: boolean): { line: string; level: LogLevel }[] {
  const lines: { line: string; level: LogLevel }[] = [];
  configureLog({ json, write: (line, level) => lines.push({ line, level }) });
  return lines;
}

describe("log", () => {
  afterEach(() => configureLog({ json: false, write: (line) => process.stdout.write(`${line}\n`) }));

  test("readable: time, then the message; the level only when it is not info", () => {
    const lines = capture(false);
    log("broker.connected", "broker connected: redis://h:6379/0", { url: "redis://h:6379/0" });
    log("broker.disconnected", "broker disconnected: redis://h:6379/0: connection closed (retrying)", {}, "warn");
    assert.match(lines[0]!.line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z broker connected: redis:\/\/h:6379\/0$/);
    assert.match(lines[1]!.line, /^\S+ WARN broker disconnected: /);
    assert.deepEqual(
      lines.map((l) => l.level),
      ["info", "warn"],
    );
  });

  test("--json: one object per line with time, level, event, message and fields", () => {
    const lines = capture(true);
    log("backfill.progress", "task history: 10000 result keys read", { scanned: 10000, loaded: 9990 });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.line.includes("\n"));
    const entry = JSON.parse(lines[0]!.line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry), ["time", "level", "event", "message", "fields"]);
    assert.equal(entry.level, "info");
    assert.equal(entry.event, "backfill.progress");
    assert.deepEqual(entry.fields, { scanned: 10000, loaded: 9990 });
    assert.ok(!Number.isNaN(Date.parse(entry.time as string)));
  });

  test("masks URL passwords and secret fields in both forms", () => {
    for (const json of [false, true]) {
      const lines = capture(json);
      log(
        "error",
        "cannot reach redis://:hunter2@h:6379/0 or sentinel://u:s3cr3t@s1:26379",
        { url: "rediss://user:hunter2@h:6380/1", token: "abcdefgh1234" },
        "error",
      );
      const text = lines[0]!.line;
      for (const secret of ["hunter2", "s3cr3t", "abcdefgh1234"])
        assert.ok(!text.includes(secret), `${json ? "json" : "readable"} line shows ${secret}: ${text}`);
      assert.match(text, /redis:\/\/:\*{8}@h:6379\/0/);
    }
  });
});
