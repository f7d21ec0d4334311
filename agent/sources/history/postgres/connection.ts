/**
 * The history's PostgreSQL connections: a small pool through `pg` (loaded on first use, as the
 * Django sources load it), in UTC, with a statement timeout. 64-bit integers come back as numbers
 * (milliseconds and sequence numbers stay far below 2^53). Every error is reported as one masked
 * line naming the database (never its password).
 */
import { createRequire } from "node:module";
import type pg from "pg";
import { maskString } from "../../../base/mask";
import type { DbTarget } from "../../../base/sql/db";

const POOL_SIZE = 3;
const CONNECT_TIMEOUT_MS = 5000;
const STATEMENT_TIMEOUT_MS = 30_000;
const INT8_OID = 20;

const loadPg = () => createRequire(import.meta.url)("pg") as typeof pg;

/** A query that failed: the database is down, refused, or the SQL failed; the message is masked. */
export class HistoryDbError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export type Sql = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export class HistoryPool {
  private readonly pool: pg.Pool;

  constructor(readonly target: DbTarget) {
    const driver = loadPg();
    const parse = (oid: number, format?: "text" | "binary") =>
      oid === INT8_OID ? (v: string) => Number(v) : driver.types.getTypeParser(oid, format as "text");
    this.pool = new driver.Pool({
      connectionString: target.url,
      max: POOL_SIZE,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      options: `-c TimeZone=UTC -c statement_timeout=${STATEMENT_TIMEOUT_MS}`,
      application_name: "celery-panel-history",
      types: { getTypeParser: parse } as pg.CustomTypesConfig,
    });
    // An idle connection dropped by the server: the pool replaces it on the next query.
    this.pool.on("error", () => undefined);
  }

  /** One error line, masked, naming the database. */
  describe(e: unknown): string {
    const raw = e instanceof Error ? e.message || e.name : String(e);
    return maskString(`${this.target.description}: ${raw.split("\n")[0]}`);
  }

  private wrap(e: unknown): HistoryDbError {
    if (e instanceof HistoryDbError) return e;
    return new HistoryDbError(this.describe(e), (e as { code?: string }).code ?? null);
  }

  readonly query: Sql = async (text, params = []) => {
    try {
      return (await this.pool.query(text, params)).rows;
    } catch (e) {
      throw this.wrap(e);
    }
  };

  /** `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.wrap(e);
    }
    const sql: Sql = async (text, params = []) => (await client.query(text, params)).rows;
    try {
      await sql("BEGIN");
      const out = await work(sql);
      await sql("COMMIT");
      return out;
    } catch (e) {
      await sql("ROLLBACK").catch(() => undefined);
      throw this.wrap(e);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
