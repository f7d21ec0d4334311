/**
 * Task listings read from the PostgreSQL history, with the SQLite history's semantics
 * (history-pages.ts): the same filters, sorts, search and keyset positions (sort key, then `seq`),
 * skipped ids walked past in growing batches. Search is a LIKE on the indexed text, so the trigram
 * index serves it (a plain scan without pg_trgm).
 */
import type { TaskFilter } from "../../tasks/query";
import type { TaskRecord } from "../../tasks/record";
import type { HistoryPage, HistoryListQuery } from "../history-pages";
import { decodeRow, STATE_CODES } from "../row-codec";
import type { Sql } from "./connection";
import { MISSING, SCHEMA, SEARCH_TEXT } from "./schema";

const SORT_EXPR = {
  received: "recv",
  started: `coalesce(started, ${MISSING})`,
  finished: `coalesce(finished, ${MISSING})`,
  runtime: `coalesce(runtime, ${MISSING})`,
};
const MAX_BATCH = 2000;
export const COLUMNS = "id, recv, seq, state, name, worker, queue, started, finished, runtime, body";

interface Where {
  sql: string[];
  params: unknown[];
}

const likeText = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function whereOf(f: TaskFilter, searchPayloads: boolean): Where {
  const w: Where = { sql: [], params: [] };
  const add = (sql: (n: string) => string, param: unknown) => {
    w.params.push(param);
    w.sql.push(sql(`$${w.params.length}`));
  };
  if (f.states) add((n) => `state = ANY(${n}::smallint[])`, [...new Set(f.states.map((s) => STATE_CODES.get(s)!))]);
  for (const key of ["name", "worker", "queue"] as const) {
    const v = f[key];
    if (v !== undefined) add((n) => `${key} = ${n}`, v);
  }
  if (f.since !== undefined) add((n) => `recv >= ${n}`, Math.floor(f.since));
  if (f.until !== undefined) add((n) => `recv <= ${n}`, Math.ceil(f.until));
  if (f.q) add((n) => `${searchPayloads ? SEARCH_TEXT.payloads : SEARCH_TEXT.names} LIKE ${n}`, likeText(f.q.toLowerCase()));
  return w;
}

const whereText = (w: Where) => (w.sql.length ? ` WHERE ${w.sql.join(" AND ")}` : "");

export type PgRow = Record<string, unknown>;

export function recordOf(r: PgRow): TaskRecord {
  const row = {
    id: String(r.id),
    recv: Number(r.recv),
    state: Number(r.state),
    name: (r.name as string | null) ?? null,
    worker: (r.worker as string | null) ?? null,
    queue: (r.queue as string | null) ?? null,
    started: r.started === null ? null : Number(r.started),
    finished: r.finished === null ? null : Number(r.finished),
    runtime: r.runtime === null ? null : Number(r.runtime),
    body: String(r.body),
  };
  return decodeRow(row, Number(r.seq));
}

export async function pgPage(sql: Sql, q: HistoryListQuery): Promise<HistoryPage> {
  const base = whereOf(q.filter, q.searchPayloads);
  const expr = SORT_EXPR[q.sort.by];
  const desc = q.sort.order === "desc";
  const order = desc ? "DESC" : "ASC";
  const tasks: TaskRecord[] = [];
  let last = q.after;
  let batch = q.limit + 1;
  for (;;) {
    const w: Where = { sql: [...base.sql], params: [...base.params] };
    if (last) {
      w.params.push(last.v, last.rid);
      w.sql.push(`(${expr}, seq) ${desc ? "<" : ">"} ($${w.params.length - 1}, $${w.params.length})`);
    }
    w.params.push(batch);
    const rows = await sql(
      `SELECT ${COLUMNS}, ${expr} AS key FROM ${SCHEMA}.tasks${whereText(w)} ORDER BY ${expr} ${order}, seq ${order} LIMIT $${w.params.length}`,
      w.params,
    );
    for (const r of rows) {
      if (tasks.length === q.limit) return { tasks, next: last };
      last = { v: Number(r.key), rid: Number(r.seq) };
      if (!q.skip?.(String(r.id))) tasks.push(recordOf(r));
    }
    if (rows.length < batch) return { tasks, next: null };
    batch = Math.min(batch * 4, MAX_BATCH);
  }
}

/** How many match; `part` limits the count to the days before or from a day (each read on its own partitions). */
export async function pgTotal(sql: Sql, filter: TaskFilter, searchPayloads: boolean, part?: { before: number } | { from: number }): Promise<number> {
  const w = whereOf(filter, searchPayloads);
  if (part) {
    w.params.push("before" in part ? part.before : part.from);
    w.sql.push(`part ${"before" in part ? "<" : ">="} $${w.params.length}`);
  }
  return Number((await sql(`SELECT count(*) AS n FROM ${SCHEMA}.tasks${whereText(w)}`, w.params))[0]!.n);
}

export async function pgCountsSince(sql: Sql, since: number): Promise<Record<string, number>> {
  const rows = await sql(`SELECT state, count(*) AS n FROM ${SCHEMA}.tasks WHERE recv >= $1 GROUP BY state`, [Math.floor(since)]);
  const names = [...STATE_CODES.keys()];
  const out: Record<string, number> = {};
  for (const r of rows) {
    const state = names[Number(r.state)];
    if (state) out[state] = Number(r.n);
  }
  return out;
}
