/**
 * The SQLite source is read-only at the driver level, not only by `PRAGMA query_only` (which any
 * statement on the connection can turn off): a temporary database file made here with
 * better-sqlite3, read through the source's own connection.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { parseDbUrl } from "../../agent/base/sql/db";
import { SqliteDb } from "../../agent/base/sql/sqlite";

let dir: string;
let file: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "celery-panel-sqlite-ro-"));
  file = join(dir, "db.sqlite3");
  const db = new Database(file);
  db.exec(
    "CREATE TABLE django_celery_results_taskresult (id integer primary key, task_id text); INSERT INTO django_celery_results_taskresult (task_id) VALUES ('t-1')",
  );
  db.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

const fingerprint = () => ({
  sha256: createHash("sha256").update(readFileSync(file)).digest("hex"),
  mtimeMs: statSync(file).mtimeMs,
  files: readdirSync(dir).sort(),
});

test("with query_only turned off on its own connection, a write is still refused (SQLITE_READONLY) and the file is unchanged", async () => {
  const before = fingerprint();
  const db = new SqliteDb(parseDbUrl(`sqlite://${file}`));
  try {
    assert.deepEqual(await db.query("SELECT task_id FROM django_celery_results_taskresult", []), [{ task_id: "t-1" }]);
    await db.query("PRAGMA query_only = OFF", []);
    assert.deepEqual(await db.query("PRAGMA query_only", []), [{ query_only: 0 }], "query_only is off on that connection");
    // SQLite's text for SQLITE_READONLY: the connection itself was opened read-only.
    await assert.rejects(db.query("CREATE TABLE x(y)", []), /attempt to write a readonly database/);
    await assert.rejects(db.query("INSERT INTO django_celery_results_taskresult (task_id) VALUES ('t-2')", []), /readonly database/);
  } finally {
    await db.close();
  }
  assert.deepEqual(fingerprint(), before, "the database file is byte for byte what it was, and no journal was left");
  const check = new Database(file, { readonly: true });
  assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(), [{ name: "django_celery_results_taskresult" }]);
  check.close();
});
