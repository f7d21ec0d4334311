/** The Django database URLs (--tasks-db, --beat-db) and the time text both drivers share. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DbUrlError, formatDbTime, parseDbTime, parseDbUrl } from "../../agent/base/sql/db";
import { OptionError, resolveOptions } from "../../agent/options";

describe("parseDbUrl", () => {
  test("PostgreSQL URLs keep the URL for the driver and mask the password for display", () => {
    for (const scheme of ["postgres", "postgresql"]) {
      const t = parseDbUrl(`${scheme}://reader:s3cr%40t@db.example:5433/app?sslmode=require`);
      assert.equal(t.kind, "postgres");
      assert.equal(t.url, `${scheme}://reader:s3cr%40t@db.example:5433/app?sslmode=require`);
      assert.equal(t.description, `${scheme}://reader:********@db.example:5433/app?sslmode=require`);
    }
    assert.equal(parseDbUrl("postgres://db/app?password=hunter22").description, "postgres://db/app?password=********");
  });

  test("SQLite takes an absolute path, in the issue's form and in dj-database-url's", () => {
    assert.deepEqual(parseDbUrl("sqlite:///srv/app/db.sqlite3").path, "/srv/app/db.sqlite3");
    assert.deepEqual(parseDbUrl("sqlite:////srv/app/db.sqlite3").path, "/srv/app/db.sqlite3");
    assert.deepEqual(parseDbUrl("sqlite:///srv/my%20app/db.sqlite3").path, "/srv/my app/db.sqlite3");
  });

  test("anything else is refused with a message that names the URL, masked", () => {
    const bad: [string, RegExp][] = [
      ["mysql://u:pw@h/db", /neither postgres:\/\/, postgresql:\/\/ nor sqlite:\/\/\/path/],
      ["postgres://u:hunter22@db.example", /names no database/],
      ["sqlite://relative/db.sqlite3", /sqlite:\/\/\/absolute\/path/],
      ["sqlite:///", /sqlite:\/\/\/absolute\/path/],
      ["db.sqlite3", /neither/],
    ];
    for (const [url, message] of bad) {
      assert.throws(
        () => parseDbUrl(url),
        (e: unknown) => e instanceof DbUrlError && message.test(e.message) && !e.message.includes("hunter22"),
        url,
      );
    }
  });
});

describe("--tasks-db and --beat-db", () => {
  test("from the command line or the environment, validated with one line naming the option", () => {
    const o = resolveOptions({ "tasks-db": "sqlite:///tmp/x.sqlite3" }, { CELERY_PANEL_BEAT_DB: "postgres://u:pw@h/beat" });
    assert.equal(o.tasksDb?.kind, "sqlite");
    assert.equal(o.beatDb?.description, "postgres://u:********@h/beat");
    assert.equal(resolveOptions({}, {}).tasksDb, null);
    assert.throws(
      () => resolveOptions({ "beat-db": "mysql://u:secretpw@h/db" }, {}),
      (e: unknown) => e instanceof OptionError && /^--beat-db: /.test(e.message) && !e.message.includes("secretpw"),
    );
  });
});

describe("database times", () => {
  test("microseconds survive the round trip through Django's text form", () => {
    for (const text of ["2026-11-25 01:40:00.123456", "2026-11-25 01:40:00", "1999-12-31 23:59:59.000001"]) {
      assert.equal(formatDbTime(parseDbTime(text)!), text);
    }
    assert.equal(parseDbTime("2026-11-25 01:40:00.5"), Date.UTC(2026, 10, 25, 1, 40, 0) * 1000 + 500_000);
    assert.equal(parseDbTime(null), null);
    assert.equal(parseDbTime("yesterday"), null);
  });
});
