/**
 * The history's tables in PostgreSQL, all in the agent's own schema `celery_panel` (it touches no
 * other table): `schema_version` and forward migrations as in the SQLite file (one transaction
 * each, under an advisory lock so two agents starting together migrate once; a newer version is
 * refused), then the day partitions and the trigram search index.
 *
 * Version 1:
 *   - `tasks`: one row per task, the merged record (row-codec.ts's body) with a column for every
 *     filter and sort, partitioned by day on `part` (range on milliseconds). `part` is the task's
 *     received time as first written by any agent (`task_keys`), so every agent puts a task in one
 *     partition and the primary key (id, part) makes writes idempotent. `seq` orders equal times.
 *   - `task_keys`: task id -> its `part`, not partitioned (a unique id needs one table).
 *   - indexes for the sorts (received; started, finished, runtime with missing values lowest) and
 *     the filters (state, name, worker, queue), each ending in (recv, seq) for keyset pages.
 * The search index (pg_trgm GIN over id, name and the body) is made outside the migrations: when
 * the role may not create the extension, search scans instead and health says so.
 */
import { type Sql, HistoryDbError, type HistoryPool } from "./connection";

export const SCHEMA = "celery_panel";
const DAY_MS = 86_400_000;
/** Missing times sort lowest, as in the live store (and the SQLite history). */
export const MISSING = -Number.MAX_SAFE_INTEGER;
/** The text the search looks in: with and without the payloads (a caller who may not see them). */
export const SEARCH_TEXT = {
  payloads: "lower(id || E'\\x01' || coalesce(name, '') || E'\\x01' || body)",
  names: "lower(id || E'\\x01' || coalesce(name, ''))",
};

const T = `${SCHEMA}.tasks`;
const MIGRATIONS: string[] = [
  `CREATE SEQUENCE ${SCHEMA}.task_seq;
   CREATE TABLE ${T} (
     id text NOT NULL,
     part bigint NOT NULL,
     recv bigint NOT NULL,
     seq bigint NOT NULL DEFAULT nextval('${SCHEMA}.task_seq'),
     state smallint NOT NULL,
     prio smallint NOT NULL,
     steps integer NOT NULL,
     state_at bigint NOT NULL,
     name text,
     worker text,
     queue text,
     started bigint,
     finished bigint,
     runtime double precision,
     body text NOT NULL,
     PRIMARY KEY (id, part)
   ) PARTITION BY RANGE (part);
   CREATE INDEX tasks_recv ON ${T} (recv, seq);
   CREATE INDEX tasks_started ON ${T} ((coalesce(started, ${MISSING})), seq);
   CREATE INDEX tasks_finished ON ${T} ((coalesce(finished, ${MISSING})), seq);
   CREATE INDEX tasks_runtime ON ${T} ((coalesce(runtime, ${MISSING})), seq);
   CREATE INDEX tasks_state ON ${T} (state, recv, seq);
   CREATE INDEX tasks_name ON ${T} (name, recv, seq);
   CREATE INDEX tasks_worker ON ${T} (worker, recv, seq);
   CREATE INDEX tasks_queue ON ${T} (queue, recv, seq);
   CREATE TABLE ${SCHEMA}.task_keys (id text PRIMARY KEY, part bigint NOT NULL);
   CREATE INDEX task_keys_part ON ${SCHEMA}.task_keys (part);`,
];
const LOCK_KEY = 0x63656c70; // "celp": one advisory lock for this schema's migrations

/** Brings the schema to the latest version; returns the version it was at (0: created now). */
export async function migrate(pool: HistoryPool): Promise<number> {
  return pool.transaction(async (sql) => {
    await sql("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    // Made unless there: a DBA may make it for a role that may not create schemas in the database.
    if (!(await sql("SELECT 1 FROM pg_namespace WHERE nspname = $1", [SCHEMA])).length) await sql(`CREATE SCHEMA ${SCHEMA}`);
    await sql(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_version (version integer NOT NULL)`);
    const from = Number((await sql(`SELECT max(version) AS v FROM ${SCHEMA}.schema_version`))[0]?.v ?? 0);
    if (from > MIGRATIONS.length) {
      throw new HistoryDbError(
        `${pool.target.description}: the history schema is at version ${from}, written by a newer agent (this one knows up to ${MIGRATIONS.length})`,
        null,
      );
    }
    for (let v = from; v < MIGRATIONS.length; v++) await sql(MIGRATIONS[v]!);
    if (from < MIGRATIONS.length) {
      await sql(`DELETE FROM ${SCHEMA}.schema_version`);
      await sql(`INSERT INTO ${SCHEMA}.schema_version VALUES ($1)`, [MIGRATIONS.length]);
    }
    return from;
  });
}

/**
 * The trigram index for search; null when made (or there), else why search scans. pg_trgm is a
 * trusted extension: a database owner may create it without being a superuser.
 */
export async function ensureSearchIndex(sql: Sql): Promise<string | null> {
  try {
    await sql("CREATE EXTENSION IF NOT EXISTS pg_trgm");
  } catch (e) {
    const installed = await sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'");
    if (!installed.length) return `substring search scans the table: pg_trgm could not be created (${(e as Error).message})`;
  }
  const ns = String((await sql("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"))[0]!.nspname);
  const ops = `"${ns.replace(/"/g, '""')}".gin_trgm_ops`;
  await sql(`CREATE INDEX IF NOT EXISTS tasks_search ON ${T} USING gin ((${SEARCH_TEXT.payloads}) ${ops})`);
  await sql(`CREATE INDEX IF NOT EXISTS tasks_search_names ON ${T} USING gin ((${SEARCH_TEXT.names}) ${ops})`);
  return null;
}

/** The UTC day holding `ms`, as its first millisecond. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const partitionName = (day: number) => `tasks_p${new Date(day).toISOString().slice(0, 10).replace(/-/g, "")}`;

/** The day partitions there are, by first millisecond (read from the catalog: other agents add some). */
export async function listPartitions(sql: Sql): Promise<Map<number, string>> {
  const rows = await sql(
    `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = '${T}'::regclass`,
  );
  const out = new Map<number, string>();
  for (const r of rows) {
    const from = /FROM \('?(-?\d+)'?\)/.exec(String(r.bound))?.[1];
    if (from !== undefined) out.set(Number(from), String(r.relname));
  }
  return out;
}

/** The partition of `day`, made unless there; another agent making it at the same moment is fine. */
export async function createPartition(sql: Sql, day: number): Promise<void> {
  try {
    await sql(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.${partitionName(day)} PARTITION OF ${T} FOR VALUES FROM (${day}) TO (${day + DAY_MS})`);
  } catch (e) {
    // 42P07: made meanwhile by another agent; 23505: the same race seen in the catalog's index.
    const code = (e as HistoryDbError).code ?? (e as { code?: string }).code;
    if (code !== "42P07" && code !== "23505") throw e;
  }
}

export { DAY_MS };
