/**
 * Celery's database result backend URLs: `db+` and an SQLAlchemy URL. Only the two databases the
 * agent has drivers for are read: `db+sqlite:///relative.db` / `db+sqlite:////abs/path.db` (three
 * slashes and a relative path, four for an absolute one, as SQLAlchemy reads them) and
 * `db+postgresql[+driver]://user:password@host[:port]/dbname`.
 */
import { resolve } from "node:path";
import { DbUrlError, parseDbUrl, type DbTarget } from "../../base/sql/db";
import { maskUrl } from "../../base/mask";

export const DATABASE_SCHEME_PREFIX = "db+";

/** Where Celery's database backend keeps its tables (database_table_names / database_table_schemas). */
export interface TaskmetaTables {
  task: string;
  group: string;
  /** PostgreSQL schema of each, or null for the default search path. */
  taskSchema: string | null;
  groupSchema: string | null;
}

export const DEFAULT_TABLES: TaskmetaTables = { task: "celery_taskmeta", group: "celery_tasksetmeta", taskSchema: null, groupSchema: null };

export interface DatabaseBackendTarget {
  kind: "database";
  db: DbTarget;
  /** Said beside the URL: a relative SQLite path was resolved against the agent's directory. */
  note: string | null;
}

export class DatabaseUrlError extends Error {}

export function isDatabaseBackendUrl(url: string): boolean {
  return url.trim().toLowerCase().startsWith(DATABASE_SCHEME_PREFIX);
}

export function parseDatabaseBackendUrl(url: string, cwd: string = process.cwd()): DatabaseBackendTarget {
  const inner = url.trim().slice(DATABASE_SCHEME_PREFIX.length);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(inner)?.[1]?.toLowerCase() ?? "";
  const dialect = scheme.split("+")[0];
  const wrap = (f: () => DbTarget): DbTarget => {
    try {
      return f();
    } catch (e) {
      throw e instanceof DbUrlError ? new DatabaseUrlError(`${maskUrl(url)}: ${e.message}`) : e;
    }
  };
  if (dialect === "sqlite") {
    const rest = inner.slice(inner.indexOf("://") + 3);
    if (!rest.startsWith("/") || rest.length < 2) throw new DatabaseUrlError(`${maskUrl(url)} names no file (db+sqlite:////absolute/path.db)`);
    const path = rest.slice(1).split("?")[0]!;
    // SQLAlchemy: after "sqlite:///" an absolute path begins with "/"; anything else is relative to the worker's directory.
    const absolute = path.startsWith("/");
    const file = absolute ? path : resolve(cwd, path);
    const db = wrap(() => parseDbUrl(`sqlite://${encodeURI(file)}`));
    return {
      kind: "database",
      db: { ...db, description: maskUrl(url) },
      note: absolute ? null : `a relative path, read as ${file} (relative to the agent's directory)`,
    };
  }
  if (dialect === "postgresql" || dialect === "postgres") {
    // The driver part (+psycopg2, +pg8000) is SQLAlchemy's business: the agent speaks the protocol itself.
    const db = wrap(() => parseDbUrl(`postgresql://${inner.slice(inner.indexOf("://") + 3)}`));
    return { kind: "database", db: { ...db, description: maskUrl(url) }, note: null };
  }
  throw new DatabaseUrlError(
    `${maskUrl(url)}: Celery's database backend is read on SQLite and PostgreSQL only (db+sqlite:////path.db, db+postgresql://user:password@host/dbname)`,
  );
}

/** A table name as SQL, quoted; refused unless it is a plain identifier (it comes from the workers' conf). */
export function quotedTable(name: string, schema: string | null): string {
  const ident = (s: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(s)) throw new DatabaseUrlError(`table name "${s}" is not a plain SQL identifier`);
    return `"${s}"`;
  };
  return schema ? `${ident(schema)}.${ident(name)}` : ident(name);
}

/** The tables as the workers' conf names them (database_table_names, database_table_schemas), defaults for the rest. */
export function tablesFromConf(conf: Record<string, unknown> | null): TaskmetaTables {
  const names = record(conf?.database_table_names);
  const schemas = record(conf?.database_table_schemas);
  const s = (v: unknown) => (typeof v === "string" && v ? v : null);
  return {
    task: s(names.task) ?? DEFAULT_TABLES.task,
    group: s(names.group) ?? DEFAULT_TABLES.group,
    taskSchema: s(schemas.task),
    groupSchema: s(schemas.group),
  };
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
