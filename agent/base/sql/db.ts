/**
 * Read-only SQL access, shared by the Django sources (sources/django/) and Celery's database
 * result backend (protocol/database/): one small interface, two drivers (PostgreSQL through the
 * pure-JS `pg`, SQLite through `better-sqlite3`). Every connection is
 * read-only; a dead database makes a query throw DbUnavailable, never crash the agent, and the
 * next query tries again.
 */
import { maskString } from "../mask";

export type DbKind = "postgres" | "sqlite";

export interface DbTarget {
  kind: DbKind;
  /** The URL as given (secrets included): only ever handed to the driver. */
  url: string;
  /** The URL with its password masked, for logs and views. */
  description: string;
  /** SQLite: the absolute file path. */
  path: string | null;
}

export class DbUrlError extends Error {}

/** Thrown by a query when the database cannot be reached or refused it; the message is masked. */
export class DbUnavailable extends Error {}

/** `postgres://` / `postgresql://` (anything libpq's URL form allows) or `sqlite:///abs/path`. */
export function parseDbUrl(url: string): DbTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const description = maskString(url);
  if (scheme === "postgres" || scheme === "postgresql") {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new DbUrlError(`"${description}" is not a valid URL`);
    }
    if (!u.hostname && !u.searchParams.get("host")) throw new DbUrlError(`"${description}" names no host`);
    if (u.pathname.replace(/^\//, "") === "") throw new DbUrlError(`"${description}" names no database (postgres://user:password@host:5432/dbname)`);
    return { kind: "postgres", url, description, path: null };
  }
  if (scheme === "sqlite") {
    // sqlite:///abs/path as the issue writes it; sqlite:////abs/path as dj-database-url does.
    const rest = url.slice("sqlite://".length).replace(/^\/\/+/, "/");
    if (!url.startsWith("sqlite://") || !rest.startsWith("/") || rest.length < 2) {
      throw new DbUrlError(`"${description}" is not sqlite:///absolute/path/to/db.sqlite3`);
    }
    let path: string;
    try {
      path = decodeURIComponent(rest.split("?")[0]!);
    } catch {
      throw new DbUrlError(`"${description}" has a badly escaped path`);
    }
    return { kind: "sqlite", url, description, path };
  }
  throw new DbUrlError(`"${description}" is neither postgres://, postgresql:// nor sqlite:///path`);
}

/** A row as the drivers return it: column name to value. */
export type Row = Record<string, unknown>;

/** What the SQL differs in between the two databases. */
export interface Dialect {
  /** Placeholder for the n-th parameter (1-based). */
  param(n: number): string;
  /**
   * Any of `columns` (NULLs skipped) contains parameter `n`, a lower-cased literal: one lower() and
   * substring test over the joined text (a separator no search holds keeps matches inside a
   * column), two to three times cheaper per row than an ILIKE per column.
   */
  contains(columns: string[], n: number): string;
  /** An expression giving a datetime column as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]". */
  timeText(column: string): string;
  /** A UTC time in microseconds, as a parameter comparable with the column (see timeParam). */
  timeParam(us: number): string;
  /** `column` is one of the strings in the JSON array parameter `n`. */
  inJsonArray(column: string, n: number): string;
}

export interface Db {
  readonly target: DbTarget;
  readonly dialect: Dialect;
  /** Runs one read-only query; throws DbUnavailable when the database cannot answer. */
  query(sql: string, params: unknown[]): Promise<Row[]>;
  /** "connected" after the last query succeeded, "unavailable" after it failed. */
  state(): { state: "connecting" | "connected" | "unavailable"; error: string | null };
  close(): Promise<void>;
}

/** "2026-11-25 01:40:00.123456" (UTC, as both dialects print it) to microseconds since the epoch. */
export function parseDbTime(v: unknown): number | null {
  if (typeof v !== "string") return null;
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/.exec(v);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = ""] = m as unknown as string[];
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

/** Microseconds to "YYYY-MM-DD HH:MM:SS" plus ".ffffff" unless zero: how Django writes SQLite datetimes. */
export function formatDbTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = us - Math.floor(us / 1_000_000) * 1_000_000;
  const base = new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  return micro === 0 ? base : `${base}.${String(micro).padStart(6, "0")}`;
}

/** The driver's error as one masked line. */
export function dbErrorMessage(target: DbTarget, e: unknown): string {
  const raw = e instanceof Error ? e.message || e.name : String(e);
  return maskString(`${target.description}: ${raw.split("\n")[0]}`);
}
