/**
 * SQLite through `better-sqlite3`, opened read-only on an existing file (never created), with
 * query_only on as well. Opened on first use and reopened after a failure, so a file that appears
 * or comes back later is picked up.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { dbErrorMessage, DbUnavailable, formatDbTime, type Db, type DbTarget, type Dialect, type Row } from "./db";

const BUSY_TIMEOUT_MS = 5000;

export const sqliteDialect: Dialect = {
  // Named, so one parameter can appear twice (better-sqlite3 binds ?NNN by position only).
  param: (n) => `@p${n}`,
  contains: (cols, n) => `instr(lower(${cols.map((c) => `ifnull(${c}, '')`).join(" || char(1) || ")}), @p${n}) > 0`,
  // Django stores naive UTC text in SQLite: the column is the text.
  timeText: (c) => c,
  timeParam: (us) => formatDbTime(us),
  inJsonArray: (c, n) => `${c} IN (SELECT value FROM json_each(@p${n}))`,
};

type Driver = typeof BetterSqlite3;
let driver: Driver | null = null;

function loadDriver(): Driver {
  // A native module: required lazily, so an agent reading no SQLite database never loads it.
  driver ??= createRequire(import.meta.url)("better-sqlite3") as Driver;
  return driver;
}

export class SqliteDb implements Db {
  readonly dialect = sqliteDialect;
  private db: BetterSqlite3.Database | null = null;
  private last: ReturnType<Db["state"]> = { state: "connecting", error: null };

  constructor(readonly target: DbTarget) {}

  private open(): BetterSqlite3.Database {
    if (this.db) return this.db;
    const Database = loadDriver();
    const db = new Database(this.target.path!, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    db.pragma("query_only = ON");
    this.db = db;
    return db;
  }

  async query(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      const statement = this.open().prepare(sql);
      const named = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, bindable(v)]));
      const args = params.length ? [named] : [];
      // A statement that writes is run, so the read-only open is what refuses it.
      let rows: Row[] = [];
      if (statement.reader) rows = statement.all(...args) as Row[];
      else statement.run(...args);
      this.last = { state: "connected", error: null };
      return rows;
    } catch (e) {
      const message = dbErrorMessage(this.target, e);
      this.last = { state: "unavailable", error: message };
      this.db?.close();
      this.db = null;
      throw new DbUnavailable(message);
    }
  }

  state(): ReturnType<Db["state"]> {
    return this.last;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null only. */
function bindable(v: unknown): unknown {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === undefined) return null;
  return v;
}
