/**
 * PostgreSQL through `pg` (pure JavaScript: nothing to build). A small pool; every session is
 * read-only twice over (the startup option and SET SESSION CHARACTERISTICS), in UTC, with a
 * statement timeout so a slow query cannot hold a connection forever.
 */
import { createRequire } from "node:module";
import type pg from "pg";
import { dbErrorMessage, DbUnavailable, type Db, type DbTarget, type Dialect, type Row } from "./db";

const POOL_SIZE = 4;
const CONNECT_TIMEOUT_MS = 5000;
const STATEMENT_TIMEOUT_MS = 30_000;

export const postgresDialect: Dialect = {
  param: (n) => `$${n}`,
  contains: (cols, n) => `strpos(lower(concat_ws(chr(1), ${cols.join(", ")})), $${n}) > 0`,
  // The session runs in UTC, so both timestamp kinds print as UTC wall time.
  timeText: (c) => `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS.US')`,
  timeParam: (us) => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, "0")}+00`,
  inJsonArray: (c, n) => `${c} = ANY(ARRAY(SELECT json_array_elements_text($${n}::json)))`,
};

/**
 * Loaded on first use, not with the agent: a bundle would otherwise load it at start for every
 * deployment, most of which never read a database (and it moves the garbage collector's sizing).
 */
const loadPg = () => createRequire(import.meta.url)("pg") as typeof pg;

export class PostgresDb implements Db {
  readonly dialect = postgresDialect;
  private readonly pool: pg.Pool;
  private last: ReturnType<Db["state"]> = { state: "connecting", error: null };

  constructor(readonly target: DbTarget) {
    this.pool = new (loadPg().Pool)({
      connectionString: target.url,
      max: POOL_SIZE,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      options: `-c default_transaction_read_only=on -c TimeZone=UTC -c statement_timeout=${STATEMENT_TIMEOUT_MS}`,
      application_name: "celery-panel-agent",
      // Awaited by the pool before the connection serves a query (the startup option may be
      // dropped by a connection pooler in between).
      onConnect: async (client: pg.ClientBase) => {
        await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
      },
    });
    // An idle connection dropped by the server: the pool replaces it on the next query.
    this.pool.on("error", (e) => {
      this.last = { state: "unavailable", error: dbErrorMessage(this.target, e) };
    });
  }

  async query(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      const r = await this.pool.query(sql, params);
      this.last = { state: "connected", error: null };
      return r.rows as Row[];
    } catch (e) {
      const message = dbErrorMessage(this.target, e);
      this.last = { state: "unavailable", error: message };
      throw new DbUnavailable(message);
    }
  }

  state(): ReturnType<Db["state"]> {
    return this.last;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
