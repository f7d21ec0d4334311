/** Opens a read-only database connection for a parsed URL. */
import type { Db, DbTarget } from "./db";

/** Drivers are loaded only when a database is configured: most agents never need them. */
export async function openDb(target: DbTarget): Promise<Db> {
  if (target.kind === "postgres") return new (await import("./postgres")).PostgresDb(target);
  return new (await import("./sqlite")).SqliteDb(target);
}
