/**
 * The history's SQLite file: opened (created when missing) in WAL mode, migrated (schema.ts), its
 * statements prepared once. Writes are upserts of merged records by task id, many per transaction;
 * reads are pages (history-pages.ts), single tasks and counts. The agent's only writes go here.
 *
 * WAL with synchronous=NORMAL: a commit is in the log before the call returns, so a killed process
 * loses nothing committed (only a power cut can lose the last commits), and readers never wait for
 * the writer.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import type { TaskRecord } from "../tasks/record";
import { decodeRow, encodeRow, type HistoryRow } from "./row-codec";
import { migrate } from "./schema";
import { payloadText, SearchIndexer, textHash } from "./search-index";

type Driver = typeof BetterSqlite3;
let driver: Driver | null = null;
/** Distinct list queries kept prepared (filters and sorts combine into a few dozen shapes). */
const MAX_STATEMENTS = 200;
const loadDriver = (): Driver => (driver ??= createRequire(import.meta.url)("better-sqlite3") as Driver);

/** A row as read: the columns, names still as interned ids. */
export interface RawRow {
  rid: number;
  id: string;
  recv: number;
  state: number;
  name: number | null;
  worker: number | null;
  queue: number | null;
  started: number | null;
  finished: number | null;
  runtime: number | null;
  body: string;
}

export const ROW_COLUMNS = "rowid AS rid, id, recv, state, name, worker, queue, started, finished, runtime, body";

/** Changes to the tasks per (state, name), gathered over a transaction and written at its end. */
class CountChanges {
  private readonly by = new Map<number, number>();

  add(state: number, name: number | null, n: number): void {
    // One number per pair: names are ids below 2^40, states below 32.
    const key = (name ?? 0) * 32 + state;
    this.by.set(key, (this.by.get(key) ?? 0) + n);
  }

  apply(addCount: BetterSqlite3.Statement): void {
    for (const [key, n] of this.by) if (n !== 0) addCount.run(key % 32, Math.floor(key / 32), n);
  }
}

export class HistoryDb {
  readonly db: BetterSqlite3.Database;
  /** Interned names both ways; the one writer keeps them in step with the table. */
  private readonly nameIds = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private readonly upsert: BetterSqlite3.Statement;
  private readonly insertName: BetterSqlite3.Statement;
  private readonly byId: BetterSqlite3.Statement;
  private readonly rowTotal: BetterSqlite3.Statement;
  private readonly oldOf: BetterSqlite3.Statement;
  private readonly addCount: BetterSqlite3.Statement;
  private readonly search: SearchIndexer;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** The schema version the file had when opened (0: created now). */
  readonly openedAtVersion: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const Database = loadDriver();
    const db = new Database(path, { timeout: 5000 });
    this.db = db;
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      this.openedAtVersion = migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    this.upsert = db.prepare(
      `INSERT INTO tasks (id, recv, state, name, worker, queue, started, finished, runtime, body, sh)
       VALUES (@id, @recv, @state, @name, @worker, @queue, @started, @finished, @runtime, @body, @sh)
       ON CONFLICT (id) DO UPDATE SET recv = excluded.recv, state = excluded.state, name = excluded.name,
         worker = excluded.worker, queue = excluded.queue, started = excluded.started,
         finished = excluded.finished, runtime = excluded.runtime, body = excluded.body, sh = excluded.sh`,
    );
    this.search = new SearchIndexer(db);
    this.insertName = db.prepare("INSERT INTO names (value) VALUES (?)");
    this.byId = db.prepare(`SELECT ${ROW_COLUMNS} FROM tasks WHERE id = ?`);
    this.rowTotal = db.prepare("SELECT ifnull(sum(n), 0) AS n FROM counts");
    this.oldOf = db.prepare("SELECT rowid AS rid, state, name, sh FROM tasks WHERE id = ?");
    this.addCount = db.prepare("INSERT INTO counts VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n");
    this.loadNames();
  }

  /**
   * The statement for `text`, prepared once: the list's queries are built from its filters, and
   * preparing (parsing and planning) on every request cost more than running them.
   */
  statement(text: string): BetterSqlite3.Statement {
    let st = this.statements.get(text);
    if (!st) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  private loadNames(): void {
    this.nameIds.clear();
    this.names.clear();
    for (const r of this.db.prepare("SELECT id, value FROM names").all() as { id: number; value: string }[]) {
      this.nameIds.set(r.value, r.id);
      this.names.set(r.id, r.value);
    }
  }

  /** The interned id of `value`, adding it (inside the caller's transaction). */
  private intern(value: string | null): number | null {
    if (value === null) return null;
    let id = this.nameIds.get(value);
    if (id === undefined) {
      id = Number(this.insertName.run(value).lastInsertRowid);
      this.nameIds.set(value, id);
      this.names.set(id, value);
    }
    return id;
  }

  /** The id of a known name, or undefined (a filter on it matches nothing). */
  nameId(value: string): number | undefined {
    return this.nameIds.get(value);
  }

  /** The interned ids of every name, worker and queue containing `q` (lowercase). */
  idsContaining(q: string): number[] {
    const out: number[] = [];
    for (const [value, id] of this.nameIds) if (value.toLowerCase().includes(q)) out.push(id);
    return out;
  }

  nameOf(id: number | null): string | null {
    return id === null ? null : (this.names.get(id) ?? null);
  }

  /** Upserts every record in one transaction: all of them are written, or none. */
  write(records: Iterable<TaskRecord>, opts: { payloads: boolean }): number {
    let n = 0;
    const run = this.db.transaction(() => {
      const counts = new CountChanges();
      for (const t of records) {
        const row = encodeRow(t, opts);
        const name = this.intern(row.name);
        const old = this.oldOf.get(row.id) as { rid: number; state: number; name: number | null; sh: number } | undefined;
        if (old) counts.add(old.state, old.name, -1);
        counts.add(row.state, name, 1);
        const text = opts.payloads ? payloadText(t) : "";
        const sh = textHash(text);
        const done = this.upsert.run({ ...row, name, worker: this.intern(row.worker), queue: this.intern(row.queue), sh });
        this.search.update(old ? old.rid : done.lastInsertRowid, text, sh, old?.sh ?? 0);
        n++;
      }
      counts.apply(this.addCount);
    });
    try {
      run();
    } catch (e) {
      // Names added by the rolled-back transaction are gone from the table: forget them here too.
      this.loadNames();
      throw e;
    }
    return n;
  }

  get(id: string): TaskRecord | null {
    const raw = this.byId.get(id) as RawRow | undefined;
    return raw ? this.record(raw) : null;
  }

  record(raw: RawRow): TaskRecord {
    const row: HistoryRow = { ...raw, name: this.nameOf(raw.name), worker: this.nameOf(raw.worker), queue: this.nameOf(raw.queue) };
    return decodeRow(row, raw.rid);
  }

  /** Every task the history holds (from the trigger-kept counts: no scan). */
  rows(): number {
    return (this.rowTotal.get() as { n: number }).n;
  }

  /**
   * Up to `step` tasks of the states `states` received before `cutoff`, oldest first, deleted;
   * returns how many. One state at a time, down its (state, received) index: rows of the states
   * kept longer are never walked past.
   */
  deleteOlderThan(cutoff: number, step: number, states: readonly number[]): number {
    let n = 0;
    for (const state of states) {
      if (n >= step) break;
      n += this.delete("SELECT rowid FROM tasks WHERE state = ? AND recv < ? ORDER BY recv LIMIT ?", [state, Math.floor(cutoff), step - n]);
    }
    return n;
  }

  /** The `n` oldest tasks (by received time) deleted; returns how many. */
  deleteOldest(n: number): number {
    return this.delete("SELECT rowid FROM tasks ORDER BY recv, rowid LIMIT ?", [n]);
  }

  /** Deletes the rows `select` picks, and takes them out of the counts, in one transaction. */
  private delete(select: string, params: unknown[]): number {
    const statement = this.statement(`DELETE FROM tasks WHERE rowid IN (${select}) RETURNING rowid AS rid, state, name, sh`);
    return this.db.transaction(() => {
      const counts = new CountChanges();
      const gone = statement.all(...params) as { rid: number; state: number; name: number | null; sh: number }[];
      for (const r of gone) {
        counts.add(r.state, r.name, -1);
        this.search.forget(r.rid, r.sh);
      }
      counts.apply(this.addCount);
      return gone.length;
    })();
  }

  /** Which of `ids` the history holds. */
  holding(ids: string[]): Set<string> {
    if (!ids.length) return new Set();
    const rows = this.statement("SELECT id FROM tasks WHERE id IN (SELECT value FROM json_each(?))").all(JSON.stringify(ids)) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  /** A fact about the history itself (the meta table), or null. */
  meta(key: string): string | null {
    const row = this.statement("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.statement("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
