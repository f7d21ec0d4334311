/**
 * Task history from django-celery-results' table, queried in SQL: the same filters, sort and
 * keyset pages as the in-memory store, on the table's own indexes (status, task_name, worker,
 * date_created, date_done), so the table is never loaded.
 *
 * Sort keys: "received" is date_created (when the row was first written: the task's start with
 * task_track_started, else its end), "finished" is date_done, "started" falls back to
 * date_created; the table records no runtime, so that sort is refused.
 */
import { CELERY_TASK_STATES, type TaskState } from "../../api/schema/enums";
import { newRecord, READY_STATES, type StoredValue, type TaskRecord } from "../tasks/record";
import { applyMeta } from "../tasks/record-merge";
import type { TaskMeta } from "../../protocol/result-meta";
import { encodeCursor, type Cursor } from "../tasks/cursor";
import type { TaskFilter, TaskSort } from "../tasks/query";
import { parseDbTime, type Db, type Row } from "../../base/sql/db";

export const TASK_TABLE = "django_celery_results_taskresult";
export const GROUP_TABLE = "django_celery_results_groupresult";

/** What the detail view adds from the table beyond the common task fields. */
export interface DbTaskExtras {
  row_id: number;
  periodic_task_name: string | null;
  content_type: string | null;
  content_encoding: string | null;
  meta: unknown;
  date_created: string | null;
  date_done: string | null;
}

export interface DbTask {
  /** The task as the table alone tells it. */
  record: TaskRecord;
  /** The row as a result-backend write, to merge into what events told (null: a custom state). */
  meta: TaskMeta | null;
  extras: DbTaskExtras;
  /** Sort keys in microseconds. */
  createdUs: number | null;
  doneUs: number | null;
}

export interface DbTaskPage {
  tasks: DbTask[];
  total: number;
  nextCursor: string | null;
}

export class UnsupportedSort extends Error {}

const LIST_COLUMNS = [
  "id",
  "task_id",
  "task_name",
  "status",
  "task_args",
  "task_kwargs",
  "result",
  "worker",
  "periodic_task_name",
  "content_type",
  "content_encoding",
  "meta",
];

export class DjangoTaskSource {
  constructor(readonly db: Db) {}

  get description(): string {
    return `django-celery-results table ${TASK_TABLE} on ${this.db.target.description}`;
  }

  private columns(withTraceback: boolean): string {
    const d = this.db.dialect;
    const cols = [...LIST_COLUMNS, ...(withTraceback ? ["traceback"] : [])];
    // Aliased apart from the columns: PostgreSQL's ORDER BY would otherwise sort by the text, not the index.
    return [...cols, `${d.timeText("date_created")} AS created_text`, `${d.timeText("date_done")} AS done_text`].join(", ");
  }

  /**
   * One page. `onlyIds`: the queue filter, which the table cannot answer: the ids the live store
   * knows on that queue (null when there is no queue filter).
   */
  async list(
    filter: TaskFilter,
    sort: TaskSort,
    limit: number,
    cursor: Cursor | null,
    onlyIds: string[] | null,
    opts: { searchPayloads: boolean } = { searchPayloads: true },
  ): Promise<DbTaskPage> {
    if (sort.by === "runtime") throw new UnsupportedSort("sort=runtime: django-celery-results records no runtime; sort by received, started or finished");
    const d = this.db.dialect;
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return d.param(params.length);
    };
    const where: string[] = [];
    if (filter.states?.length) where.push(`status IN (${filter.states.map((s) => p(s)).join(", ")})`);
    if (filter.name !== undefined) where.push(`task_name = ${p(filter.name)}`);
    if (filter.worker !== undefined) where.push(`worker = ${p(filter.worker)}`);
    if (onlyIds !== null) {
      params.push(JSON.stringify(onlyIds));
      where.push(d.inJsonArray("task_id", params.length));
    }
    if (filter.since !== undefined) where.push(`date_created >= ${p(d.timeParam(filter.since * 1000))}`);
    if (filter.until !== undefined) where.push(`date_created <= ${p(d.timeParam(filter.until * 1000))}`);
    // The handler lower-cases q; the separator (U+0001) never joins two columns into a match.
    if (filter.q && !filter.q.includes("\u0001")) {
      params.push(filter.q);
      where.push(d.contains(opts.searchPayloads ? ["task_id", "task_name", "task_args", "task_kwargs", "result"] : ["task_id", "task_name"], params.length));
    } else if (filter.q) {
      where.push("1 = 0");
    }
    const filterSql = where.length ? ` WHERE ${where.join(" AND ")}` : "";
    const countSql = `SELECT count(*) AS n FROM ${TASK_TABLE}${filterSql}`;
    const countParams = [...params];

    const key = sort.by === "finished" ? "date_done" : "date_created";
    const desc = sort.order === "desc";
    let keyset = "";
    if (cursor && Number.isFinite(cursor.v)) {
      // Keyset: (key, id) strictly past the cursor, written so the index on `key` bounds the scan.
      const t = p(d.timeParam(cursor.v));
      const op = desc ? "<" : ">";
      keyset = `${key} ${op}= ${t} AND (${key} ${op} ${t} OR id ${op} ${p(cursor.seq)})`;
    } else if (cursor && (desc ? cursor.v === -Infinity : cursor.v === Infinity)) {
      return { tasks: [], total: await this.count(countSql, countParams), nextCursor: null };
    }
    const dir = desc ? "DESC" : "ASC";
    const order = `ORDER BY ${key} ${dir}, id ${dir} LIMIT ${limit + 1}`;
    let rows: Row[];
    let total: number;
    if (filter.q) {
      // A search scans the table whatever the query: one scan gives the page and (by a window) the total.
      const inner = `SELECT ${this.columns(false)}, date_created, date_done, count(*) OVER () AS total_matches FROM ${TASK_TABLE}${filterSql}`;
      rows = await this.db.query(`SELECT * FROM (${inner}) AS matches${keyset ? ` WHERE ${keyset}` : ""} ${order}`, params);
      total = rows.length ? Number(rows[0]!.total_matches) : await this.count(countSql, countParams);
    } else {
      const all = keyset ? [...where, keyset] : where;
      const sql = `SELECT ${this.columns(false)} FROM ${TASK_TABLE}${all.length ? ` WHERE ${all.join(" AND ")}` : ""} ${order}`;
      [rows, total] = await Promise.all([this.db.query(sql, params), this.count(countSql, countParams)]);
    }
    const tasks = rows.slice(0, limit).map(taskFromRow);
    const last = tasks[tasks.length - 1];
    const lastKey = last ? (key === "date_done" ? last.doneUs : last.createdUs) : null;
    const nextCursor = rows.length > limit && last && lastKey !== null ? encodeCursor({ v: lastKey, seq: last.extras.row_id }) : null;
    return { tasks, total, nextCursor };
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const rows = await this.db.query(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  async get(id: string): Promise<DbTask | null> {
    const d = this.db.dialect;
    const rows = await this.db.query(`SELECT ${this.columns(true)} FROM ${TASK_TABLE} WHERE task_id = ${d.param(1)}`, [id]);
    return rows[0] ? taskFromRow(rows[0]) : null;
  }

  /** Which of `ids` have a row. */
  async existing(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const d = this.db.dialect;
    const rows = await this.db.query(`SELECT task_id FROM ${TASK_TABLE} WHERE ${d.inJsonArray("task_id", 1)}`, [JSON.stringify(ids)]);
    return new Set(rows.map((r) => String(r.task_id)));
  }

  /** A group result (celery.result.GroupResult saved with the django-db backend), or null. */
  async group(id: string): Promise<{ group_id: string; result: unknown; date_created: string | null; date_done: string | null } | null> {
    const d = this.db.dialect;
    const rows = await this.db.query(
      `SELECT group_id, result, content_type, ${d.timeText("date_created")} AS date_created, ${d.timeText("date_done")} AS date_done FROM ${GROUP_TABLE} WHERE group_id = ${d.param(1)}`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      group_id: String(r.group_id),
      result: decodeStored(r.result, r.content_type).value,
      date_created: isoOf(r.date_created),
      date_done: isoOf(r.date_done),
    };
  }
}

const KNOWN_STATES = new Set<string>(CELERY_TASK_STATES);

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const isoOf = (v: unknown): string | null => {
  const us = parseDbTime(v);
  return us === null ? null : new Date(Math.floor(us / 1000)).toISOString();
};

/**
 * A stored value: JSON when the content type is JSON (args/kwargs are then usually the JSON string
 * of Celery's argsrepr, shown as that repr), anything else as its text, undecoded.
 */
export function decodeStored(raw: unknown, contentType: unknown): { value: unknown; stored: StoredValue | null } {
  if (raw === null || raw === undefined) return { value: null, stored: null };
  const s = String(raw);
  if (contentType === "application/json") {
    try {
      const value: unknown = JSON.parse(s);
      return { value, stored: typeof value === "string" ? { format: "repr", value } : { format: "json", value } };
    } catch {
      // Not JSON after all: shown as stored.
    }
  }
  return { value: s, stored: { format: "repr", value: s } };
}

/** A table row as a task record, through the same merge rules as a result-backend write. */
export function taskFromRow(row: Row): DbTask {
  const createdUs = parseDbTime(row.created_text);
  const doneUs = parseDbTime(row.done_text);
  const createdMs = createdUs === null ? Date.now() : Math.floor(createdUs / 1000);
  const doneMs = doneUs === null ? null : Math.floor(doneUs / 1000);
  const status = String(row.status ?? "PENDING");
  const rowId = Number(row.id);
  const t = newRecord(String(row.task_id), rowId, createdMs);
  const result = decodeStored(row.result, row.content_type);
  const meta = decodeStored(row.meta, row.content_type).value;
  const children =
    meta && typeof meta === "object" && Array.isArray((meta as { children?: unknown }).children) ? (meta as { children: unknown[] }).children : [];
  let taskMeta: TaskMeta | null = null;
  if (KNOWN_STATES.has(status)) {
    taskMeta = {
      taskId: t.id,
      status,
      result: result.value,
      traceback: text(row.traceback),
      children,
      // date_done is rewritten on every save: a finish time only once the task is ready.
      dateDone: READY_STATES.has(status as TaskState) ? doneMs : null,
      name: text(row.task_name),
      args: null,
      kwargs: null,
      worker: text(row.worker),
      retries: null,
      queue: null,
      parentId: null,
      rootId: null,
      seenAt: doneMs ?? createdMs,
    };
    applyMeta(t, taskMeta);
  } else {
    // A custom state: kept as the text it is, the task listed as pending.
    t.name = text(row.task_name);
    t.worker = text(row.worker);
    t.exception = `state ${status}`;
  }
  if (status === "SUCCESS" && result.stored?.format === "repr") t.result = result.stored;
  t.args = decodeStored(row.task_args, row.content_type).stored;
  t.kwargs = decodeStored(row.task_kwargs, row.content_type).stored;
  // The table's first write stands in for the received time the events would give.
  t.received = createdMs;
  return {
    record: t,
    meta: taskMeta,
    createdUs,
    doneUs,
    extras: {
      row_id: rowId,
      periodic_task_name: text(row.periodic_task_name),
      content_type: text(row.content_type),
      content_encoding: text(row.content_encoding),
      meta,
      date_created: isoOf(row.created_text),
      date_done: isoOf(row.done_text),
    },
  };
}
