/**
 * The durable history in PostgreSQL (--history postgres://…): a HistoryStore (../store.ts) over the
 * tables of schema.ts, which several agents may write at once.
 *
 * A write is three statements per chunk: the ids' partition keys claimed (the first agent's
 * received time wins, kept in `task_keys`), the day partitions made if missing, then one upsert of
 * every row on (id, part). A row is replaced only by a record at least as far on: a better state by
 * Celery's precedence, else as many timeline steps or more, else a later state time. So an agent
 * that knows less (it started late, or read only the result backend) never overwrites what another
 * wrote, and two agents with the same record write it once. Rows are sorted by id so that two agents'
 * statements lock rows in one order (no deadlock).
 *
 * Retention drops whole day partitions past the age limit, then deletes older rows left in the
 * oldest partition and the oldest beyond the row limit in small steps.
 *
 * Nothing is waited for at start: the first use connects and migrates; while the server is away
 * every call throws (the writer keeps its ids, the task source lists nothing) and the next retries.
 */
import { precedence } from "../../tasks/record-merge";
import type { TaskFilter } from "../../tasks/query";
import type { TaskRecord } from "../../tasks/record";
import type { DbTarget } from "../../../base/sql/db";
import type { HistoryCount, HistoryPage, HistoryListQuery } from "../history-pages";
import { FAILED_CODES, RETENTION_STEP, type RetentionLimits } from "../retention";
import { encodeRow } from "../row-codec";
import type { HistoryStore } from "../store";
import { HistoryPool } from "./connection";
import { COLUMNS, pgCountsSince, pgPage, pgTotal, recordOf } from "./pages";
import { createPartition, DAY_MS, dayOf, ensureSearchIndex, listPartitions, migrate, SCHEMA } from "./schema";

const T = `${SCHEMA}.tasks`;
const K = `${SCHEMA}.task_keys`;
/** Higher is further on (precedence() counts from the best state). */
const PRIO_BASE = 100;
/** rows() is a count over every partition: the health asks often, so it is reused this long. */
const ROWS_FRESH_MS = 10_000;
/** Retention counts the rows exactly at least this often (else from the planner's estimate). */
const EXACT_COUNT_EVERY_MS = 60_000;
/** How long a count of the days before today is reused by the list's totals (other agents' late writes show after it). */
const OLDER_TOTAL_FRESH_MS = 60_000;
const TODAY_TOTAL_FRESH_MS = 2000;
const MAX_TOTALS = 100;

interface Count {
  at: number;
  n: number;
}

const UPSERT = `INSERT INTO ${T} AS t (id, part, recv, state, prio, steps, state_at, name, worker, queue, started, finished, runtime, body)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::smallint[], $5::smallint[], $6::integer[], $7::bigint[],
    $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::double precision[], $14::text[]) ORDER BY 1
  ON CONFLICT (id, part) DO UPDATE SET recv = excluded.recv, state = excluded.state, prio = excluded.prio, steps = excluded.steps,
    state_at = excluded.state_at, name = excluded.name, worker = excluded.worker, queue = excluded.queue, started = excluded.started,
    finished = excluded.finished, runtime = excluded.runtime, body = excluded.body
  WHERE (excluded.prio, excluded.steps, excluded.state_at) >= (t.prio, t.steps, t.state_at)`;

/** The tasks' count as the planner last estimated it (autovacuum's analyze; a partition never analyzed counts 0). */
const ESTIMATE = `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) AS n
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '${T}'::regclass`;

/** Deletes the rows `select` picks (id, part) and their keys; returns how many. */
const deleting = (select: string) =>
  `WITH gone AS (DELETE FROM ${T} WHERE (id, part) IN (${select}) RETURNING id),
        keys AS (DELETE FROM ${K} k USING gone WHERE k.id = gone.id)
   SELECT count(*) AS n FROM gone`;

export class PostgresHistoryStore implements HistoryStore {
  readonly kind = "postgres";
  readonly location: string;
  private readonly pool: HistoryPool;
  private opening: Promise<void> | null = null;
  /** Days whose partition is known to exist; null: read again from the catalog. */
  private partitions: Set<number> | null = null;
  private searchNotice: string | null = null;
  private lastError: string | null = null;
  private rowCount: { at: number; n: number } | null = null;
  private exactCountAt = 0;
  /** The list's totals by filter (see total()). */
  private readonly totals = new Map<string, { day: number; older: Count | null; current: Count | null }>();

  constructor(target: DbTarget) {
    this.pool = new HistoryPool(target);
    this.location = target.description;
  }

  notice(): string | null {
    return this.searchNotice;
  }

  /** Why the last call failed (masked), null once one succeeds again. */
  failure(): string | null {
    return this.lastError;
  }

  /** Connects and migrates (once; again after a failure). */
  ready(): Promise<void> {
    this.opening ??= this.open().catch((e) => {
      this.opening = null;
      this.lastError = (e as Error).message;
      throw e;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    await migrate(this.pool);
    this.searchNotice = await ensureSearchIndex(this.pool.query);
    const now = Date.now();
    // Today's and tomorrow's made ahead: the writes of a day's first minutes make none.
    await this.ensurePartitions([dayOf(now), dayOf(now) + DAY_MS]);
  }

  /** `work` after the schema is ready; its failure is remembered for health and thrown. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      const out = await work();
      this.lastError = null;
      return out;
    } catch (e) {
      this.lastError = (e as Error).message;
      // A partition another agent dropped, or a server restarted: read the catalog again.
      this.partitions = null;
      throw e;
    }
  }

  private async ensurePartitions(days: Iterable<number>): Promise<void> {
    this.partitions ??= new Set((await listPartitions(this.pool.query)).keys());
    for (const day of days) {
      if (this.partitions.has(day)) continue;
      await createPartition(this.pool.query, day);
      this.partitions.add(day);
    }
  }

  write(records: TaskRecord[], opts: { payloads: boolean }): Promise<number> {
    return this.run(async () => {
      if (!records.length) return 0;
      const rows = records.map((t) => ({ t, row: encodeRow(t, opts) })).sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));
      const ids = rows.map((r) => r.row.id);
      const q = this.pool.query;
      await q(`INSERT INTO ${K} (id, part) SELECT * FROM unnest($1::text[], $2::bigint[]) ORDER BY 1 ON CONFLICT (id) DO NOTHING`, [
        ids,
        rows.map((r) => r.row.recv),
      ]);
      const parts = new Map((await q(`SELECT id, part FROM ${K} WHERE id = ANY($1::text[])`, [ids])).map((r) => [String(r.id), Number(r.part)]));
      const partOf = rows.map((r) => parts.get(r.row.id) ?? r.row.recv);
      await this.ensurePartitions(new Set(partOf.map(dayOf)));
      const col = <V>(f: (r: (typeof rows)[number]) => V) => rows.map(f);
      await q(UPSERT, [
        ids,
        partOf,
        col((r) => r.row.recv),
        col((r) => r.row.state),
        col((r) => PRIO_BASE - precedence(r.t.state)),
        col((r) => r.t.timeline.length),
        col((r) => Math.round(r.t.stateAt)),
        col((r) => r.row.name),
        col((r) => r.row.worker),
        col((r) => r.row.queue),
        col((r) => r.row.started),
        col((r) => r.row.finished),
        col((r) => r.row.runtime),
        col((r) => r.row.body),
      ]);
      this.rowCount = null;
      const today = dayOf(Date.now());
      if (partOf.some((p) => p < today)) this.totals.clear();
      return rows.length;
    });
  }

  get(id: string): Promise<TaskRecord | null> {
    return this.run(async () => {
      const rows = await this.pool.query(`SELECT ${COLUMNS} FROM ${T} WHERE id = $1 AND part = (SELECT part FROM ${K} WHERE id = $1)`, [id]);
      return rows[0] ? recordOf(rows[0]) : null;
    });
  }

  /** Not without waiting: a task seen again starts from what this run learns (the upsert keeps the fuller row). */
  recall(): null {
    return null;
  }

  rows(): Promise<number> {
    return this.run(async () => {
      if (this.rowCount && Date.now() - this.rowCount.at < ROWS_FRESH_MS) return this.rowCount.n;
      const n = Number((await this.pool.query(`SELECT count(*) AS n FROM ${T}`))[0]!.n);
      this.rowCount = { at: Date.now(), n };
      return n;
    });
  }

  page(q: HistoryListQuery): Promise<HistoryPage> {
    return this.run(() => pgPage(this.pool.query, q));
  }

  /**
   * A count over every partition cost hundreds of milliseconds per page at a million tasks, so the
   * total is two counts reused a while: the days before today (which change rarely: late writes,
   * retention) for OLDER_TOTAL_FRESH_MS, today's for TODAY_TOTAL_FRESH_MS (a total lags the
   * writes by that much).
   */
  total(filter: TaskFilter, searchPayloads: boolean): Promise<HistoryCount> {
    return this.run(async () => {
      const now = Date.now();
      const today = dayOf(now);
      const key = JSON.stringify([filter, searchPayloads]);
      let held = this.totals.get(key);
      if (!held || held.day !== today) {
        if (this.totals.size >= MAX_TOTALS) this.totals.clear();
        held = { day: today, older: null, current: null };
        this.totals.set(key, held);
      }
      const count = async (cached: Count | null, fresh: number, part: { before: number } | { from: number }) =>
        cached && now - cached.at < fresh ? cached : { at: now, n: await pgTotal(this.pool.query, filter, searchPayloads, part) };
      held.older = await count(held.older, OLDER_TOTAL_FRESH_MS, { before: today });
      held.current = await count(held.current, TODAY_TOTAL_FRESH_MS, { from: today });
      return { total: held.older.n + held.current.n, atLeast: false };
    });
  }

  countsSince(since: number): Promise<Record<string, number>> {
    return this.run(() => pgCountsSince(this.pool.query, since));
  }

  retentionStep(limits: RetentionLimits, now: number, step = RETENTION_STEP): Promise<number> {
    return this.run(async () => {
      const cutoff = Math.floor(now - limits.retainMs);
      const failedCutoff = Math.floor(now - limits.retainFailuresMs);
      // Whole days go once nothing in them is kept, failures included (--retain-failures).
      const dropped = await this.dropOldPartition(Math.min(cutoff, failedCutoff));
      if (dropped !== null) return dropped;
      const q = this.pool.query;
      const olderThan = (failed: boolean) =>
        `SELECT id, part FROM ${T} WHERE part < $1 AND ${failed ? "" : "NOT "}state = ANY($3::smallint[]) ORDER BY part LIMIT $2`;
      for (const [sql, before] of [
        [olderThan(false), cutoff],
        [olderThan(true), failedCutoff],
      ] as const) {
        const byAge = Number((await q(deleting(sql), [before, step, FAILED_CODES]))[0]!.n);
        if (byAge > 0) return this.deleted(byAge);
      }
      // The planner's estimate between exact counts (a count over millions of rows at every pass
      // only near the limit); it misses a partition not analyzed yet, so a count a minute still.
      const estimate = Number((await q(ESTIMATE))[0]!.n);
      if (estimate < limits.maxRows * 0.9 && now - this.exactCountAt < EXACT_COUNT_EVERY_MS) return 0;
      this.exactCountAt = now;
      this.rowCount = null;
      const over = (await this.rows()) - limits.maxRows;
      if (over <= 0) return 0;
      return this.deleted(Number((await q(deleting(`SELECT id, part FROM ${T} ORDER BY part, seq LIMIT $1`), [Math.min(over, step)]))[0]!.n));
    });
  }

  private deleted(n: number): number {
    this.rowCount = null;
    if (n > 0) this.totals.clear();
    return n;
  }

  /**
   * The oldest day partition wholly before `cutoff` dropped, with its keys; returns its rows, or
   * null when there is none. The drop waits at most a few seconds for readers (else: next pass).
   */
  private async dropOldPartition(cutoff: number): Promise<number | null> {
    const old = [...(await listPartitions(this.pool.query))].filter(([day]) => day + DAY_MS <= cutoff).sort((a, b) => a[0] - b[0])[0];
    if (!old) return null;
    const [day, name] = old;
    const n = await this.pool.transaction(async (sql) => {
      await sql("SET LOCAL lock_timeout = '3s'");
      const count = Number((await sql(`SELECT count(*) AS n FROM ${SCHEMA}."${name}"`))[0]!.n);
      await sql(`DROP TABLE ${SCHEMA}."${name}"`);
      return count;
    });
    this.partitions?.delete(day);
    // Outside the drop's transaction: its lock on the table is not held while the keys go.
    await this.pool.query(`DELETE FROM ${K} WHERE part < $1`, [day + DAY_MS]);
    return this.deleted(n);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
