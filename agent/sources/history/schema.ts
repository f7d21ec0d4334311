/**
 * The history database's schema, as forward migrations: `schema_version` holds the version reached,
 * and opening a database runs, in one transaction each, the steps after it. A database written by
 * a newer agent (a version this one does not know) is refused rather than guessed at.
 *
 * Version 1:
 *   - `names`: every task name, worker, queue interned once (rows hold its integer id).
 *   - `tasks`: one row per task id, the merged record (row-codec.ts), rowid its order among equal times.
 *   - indexes for the list's sort (received time) and filters (state, name, worker, queue), each
 *     ending in the received time so a filtered page is a walk down one index.
 *   - `counts`: tasks per (state, name), kept by the writer in the same transactions as the rows
 *     (triggers cost a quarter of the write speed), so totals need no count over millions.
 *
 * Version 2:
 *   - `search`: the payloads' trigrams (search-index.ts), and `tasks.sh` the hash of the text each
 *     row is indexed by. Rows written before are indexed here from their bodies (-1: the hash is
 *     not known, so the next write indexes the row again).
 *
 * Version 3:
 *   - `meta`: small facts about the history itself, e.g. which sources were backfilled into it at
 *     its first start and where each one's backfill stopped (so a restart does not read them again).
 */
import type BetterSqlite3 from "better-sqlite3";

type Migration = (db: BetterSqlite3.Database) => void;

export const MIGRATIONS: Migration[] = [
  (db) =>
    db.exec(`
      CREATE TABLE names (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
      CREATE TABLE tasks (
        id TEXT NOT NULL UNIQUE,
        recv INTEGER NOT NULL,
        state INTEGER NOT NULL,
        name INTEGER,
        worker INTEGER,
        queue INTEGER,
        started INTEGER,
        finished INTEGER,
        runtime REAL,
        body TEXT NOT NULL
      );
      CREATE INDEX tasks_recv ON tasks (recv);
      CREATE INDEX tasks_state ON tasks (state, recv);
      CREATE INDEX tasks_name ON tasks (name, recv);
      CREATE INDEX tasks_worker ON tasks (worker, recv);
      CREATE INDEX tasks_queue ON tasks (queue, recv);
      CREATE TABLE counts (state INTEGER NOT NULL, name INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (state, name)) WITHOUT ROWID;
    `),
  (db) =>
    db.exec(`
      ALTER TABLE tasks ADD COLUMN sh INTEGER NOT NULL DEFAULT 0;
      CREATE VIRTUAL TABLE search USING fts5(text, content='', contentless_delete=1, detail=none, tokenize='trigram');
      INSERT INTO search (rowid, text)
        SELECT rowid, lower(concat_ws(char(1), json_extract(body, '$.E'), json_extract(body, '$.A'), json_extract(body, '$.K'), json_extract(body, '$.R')))
        FROM tasks WHERE coalesce(json_extract(body, '$.E'), json_extract(body, '$.A'), json_extract(body, '$.K'), json_extract(body, '$.R')) IS NOT NULL;
      UPDATE tasks SET sh = -1 WHERE coalesce(json_extract(body, '$.E'), json_extract(body, '$.A'), json_extract(body, '$.K'), json_extract(body, '$.R')) IS NOT NULL;
    `),
  (db) => db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"),
];

export class SchemaTooNew extends Error {}

/** Brings `db` to the latest version; returns the version it was at (0: a new file). */
export function migrate(db: BetterSqlite3.Database): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT version FROM schema_version").get() as { version: number } | undefined;
  const from = row?.version ?? 0;
  if (from > MIGRATIONS.length) {
    throw new SchemaTooNew(`the history database is at schema version ${from}, written by a newer agent (this one knows up to ${MIGRATIONS.length})`);
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.prepare("DELETE FROM schema_version").run();
      db.prepare("INSERT INTO schema_version VALUES (?)").run(v + 1);
    })();
  }
  return from;
}
