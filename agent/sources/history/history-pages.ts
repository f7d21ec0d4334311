/**
 * Task listings read from the history: the same filters, sorts and search as the live store, as
 * keyset pages over SQLite's indexes (sort key, then rowid). A page may skip ids (the tasks the live
 * store holds, listed from there): skipped rows are walked past in growing batches, and the next
 * page starts after the last row looked at, so a long run of skipped rows is walked once.
 *
 * Several states at once are read one state at a time (each a walk down its own index, the
 * (state, recv) index) and merged, where one query would sort every match.
 */
import type { TaskFilter, TaskSort } from "../tasks/query";
import type { TaskRecord } from "../tasks/record";
import { ROW_COLUMNS, type HistoryDb, type RawRow } from "./database";
import { STATE_CODES } from "./row-codec";
import { matchesPlan, type SearchPlan } from "./search-plan";

/** Where a page starts: after the row with this sort key and rowid. */
export interface HistoryPosition {
  v: number;
  rid: number;
}

export interface HistoryPageQuery {
  filter: TaskFilter;
  sort: TaskSort;
  limit: number;
  after: HistoryPosition | null;
  /** false: the search looks at ids and names only (a caller who may not see payloads). */
  searchPayloads: boolean;
  /** Ids left out of the page (listed from elsewhere). */
  skip?: (id: string) => boolean;
  /** How the search text is found (planSearch). */
  search: SearchPlan;
}

/** A page as the stores are asked for it: the SQLite store plans the search itself (planSearch). */
export type HistoryListQuery = Omit<HistoryPageQuery, "search">;

/** How many tasks match; `atLeast`: the count stopped there (a common search text). */
export interface HistoryCount {
  total: number;
  atLeast: boolean;
}

export interface HistoryPage {
  tasks: TaskRecord[];
  /** Where the next page starts; null when this was the last. */
  next: HistoryPosition | null;
}

/** Missing times sort as the smallest, as in the live store. */
const MISSING = -Number.MAX_SAFE_INTEGER;
const SORT_EXPR = {
  received: "recv",
  started: `ifnull(started, ${MISSING})`,
  finished: `ifnull(finished, ${MISSING})`,
  runtime: `ifnull(runtime, ${MISSING})`,
};
const MAX_BATCH = 2000;

interface Where {
  sql: string[];
  params: unknown[];
}

/** The filter as SQL; null when it cannot match (a name the history never saw). */
function whereOf(db: HistoryDb, f: TaskFilter, search: SearchPlan, searchPayloads: boolean, states: number[] | null): Where | null {
  const w: Where = { sql: [], params: [] };
  if (states) {
    w.sql.push(states.length === 1 ? "state = ?" : `state IN (${states.map(() => "?").join(",")})`);
    w.params.push(...states);
  }
  for (const key of ["name", "worker", "queue"] as const) {
    const v = f[key];
    if (v === undefined) continue;
    const id = db.nameId(v);
    if (id === undefined) return null;
    w.sql.push(`${key} = ?`);
    w.params.push(id);
  }
  const add = (sql: string, param: unknown) => {
    w.sql.push(sql);
    w.params.push(param);
  };
  if (f.since !== undefined) add("recv >= ?", Math.floor(f.since));
  if (f.until !== undefined) add("recv <= ?", Math.ceil(f.until));
  if (search.kind === "rows") add("rowid IN (SELECT value FROM json_each(?))", search.rowids);
  else if (search.kind === "walk") {
    // Wider than the search (the body holds more than the payloads): each row is checked again after.
    const name = "ifnull((SELECT value FROM names WHERE names.id = tasks.name), '')";
    w.sql.push(`instr(lower(id || char(1) || ${name}${searchPayloads ? " || char(1) || body" : ""}), ?) > 0`);
    w.params.push(search.q);
  }
  return w;
}

const stateCodes = (f: TaskFilter) => (f.states ? [...new Set(f.states.map((s) => STATE_CODES.get(s)!))] : null);

export function historyPage(db: HistoryDb, q: HistoryPageQuery): HistoryPage {
  const codes = stateCodes(q.filter);
  const groups = codes && codes.length > 1 ? codes.map((c) => [c]) : [codes];
  const walkers = groups.map((g) => walker(db, q, g));
  const dir = q.sort.order === "desc" ? -1 : 1;
  const first = (a: RawRow & { key: number }, b: RawRow & { key: number }) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) * dir : (a.rid - b.rid) * dir) < 0;
  const tasks: TaskRecord[] = [];
  let last: HistoryPosition | null = q.after;
  for (;;) {
    // The next row in listing order among the walkers' heads.
    let best: ReturnType<(typeof walkers)[number]["peek"]> = null;
    let from = -1;
    for (let i = 0; i < walkers.length; i++) {
      const head = walkers[i]!.peek();
      if (head && (best === null || first(head, best))) {
        best = head;
        from = i;
      }
    }
    if (!best) return { tasks, next: null };
    if (tasks.length === q.limit) return { tasks, next: last };
    walkers[from]!.take();
    last = { v: best.key, rid: best.rid };
    if (q.skip?.(best.id)) continue;
    const t = db.record(best);
    if (matchesPlan(q.search, t, q.searchPayloads)) tasks.push(t);
  }
}

/** Rows of one state group in listing order, fetched in batches that grow while rows are skipped. */
function walker(db: HistoryDb, q: HistoryPageQuery, states: number[] | null) {
  const where = whereOf(db, q.filter, q.search, q.searchPayloads, states);
  const expr = SORT_EXPR[q.sort.by];
  const desc = q.sort.order === "desc";
  let after = q.after;
  let rows: (RawRow & { key: number })[] = [];
  let at = 0;
  let done = where === null;
  let batch = q.limit + 1;
  const fetch = () => {
    const sql = [...where!.sql];
    const params = [...where!.params];
    if (after) {
      sql.push(`(${expr}, rowid) ${desc ? "<" : ">"} (?, ?)`);
      params.push(after.v, after.rid);
    }
    const order = desc ? "DESC" : "ASC";
    const text = `SELECT ${ROW_COLUMNS}, ${expr} AS key FROM tasks${sql.length ? ` WHERE ${sql.join(" AND ")}` : ""} ORDER BY ${expr} ${order}, rowid ${order} LIMIT ?`;
    rows = db.statement(text).all(...params, batch) as (RawRow & { key: number })[];
    at = 0;
    done = rows.length < batch;
    batch = Math.min(batch * 4, MAX_BATCH);
  };
  return {
    peek() {
      if (at === rows.length && !done) fetch();
      return at < rows.length ? rows[at]! : null;
    },
    take() {
      const r = rows[at++]!;
      after = { v: r.key, rid: r.rid };
    },
  };
}

/** A search's count stops here when the text is common (`atLeast`: there are more). */
export const SEARCH_COUNT_CAP = 10_000;

/**
 * How many tasks match: from the writer-kept counts when only states and a name filter, else
 * counted; a common search text is counted up to SEARCH_COUNT_CAP.
 */
export function historyTotal(db: HistoryDb, filter: TaskFilter, search: SearchPlan, searchPayloads: boolean): HistoryCount {
  const codes = stateCodes(filter);
  const other = filter.worker !== undefined || filter.queue !== undefined || filter.since !== undefined || filter.until !== undefined || search.kind !== "none";
  if (!other) {
    const sql: string[] = [];
    const params: unknown[] = [];
    if (codes) {
      sql.push(`state IN (${codes.map(() => "?").join(",")})`);
      params.push(...codes);
    }
    if (filter.name !== undefined) {
      const id = db.nameId(filter.name);
      if (id === undefined) return { total: 0, atLeast: false };
      sql.push("name = ?");
      params.push(id);
    }
    const text = `SELECT ifnull(sum(n), 0) AS n FROM counts${sql.length ? ` WHERE ${sql.join(" AND ")}` : ""}`;
    return { total: (db.statement(text).get(...params) as { n: number }).n, atLeast: false };
  }
  const where = whereOf(db, filter, search, searchPayloads, codes);
  if (!where) return { total: 0, atLeast: false };
  const cond = where.sql.length ? ` WHERE ${where.sql.join(" AND ")}` : "";
  if (search.kind === "none")
    return { total: (db.statement(`SELECT count(*) AS n FROM tasks${cond}`).get(...where.params) as { n: number }).n, atLeast: false };
  if (search.kind === "rows") {
    // The trigrams only say a row may hold the text: each candidate (a few thousand at most) is checked.
    const rows = db.statement(`SELECT ${ROW_COLUMNS} FROM tasks${cond}`).all(...where.params) as RawRow[];
    return { total: rows.filter((r) => matchesPlan(search, db.record(r), searchPayloads)).length, atLeast: false };
  }
  const n = (db.statement(`SELECT count(*) AS n FROM (SELECT 1 FROM tasks${cond} LIMIT ?)`).get(...where.params, SEARCH_COUNT_CAP) as { n: number }).n;
  return { total: n, atLeast: n === SEARCH_COUNT_CAP };
}

/**
 * Tasks per state received at or after `since`: one range count per state on the (state, recv)
 * index, which holds both (a GROUP BY over the received-time index would read every row's state
 * from the table).
 */
export function historyCountsSince(db: HistoryDb, since: number): Record<string, number> {
  const count = db.statement("SELECT count(*) AS n FROM tasks WHERE state = ? AND recv >= ?");
  const out: Record<string, number> = {};
  for (const [state, code] of STATE_CODES) {
    const n = (count.get(code, Math.floor(since)) as { n: number }).n;
    if (n > 0) out[state] = n;
  }
  return out;
}
