/**
 * Celery's database result backend (`db+sqlite://`, `db+postgresql://`): the celery_taskmeta table,
 * read-only (agent/base/sql opens every connection read-only). There is no pub/sub, so it is polled,
 * every `pollMs`, with two queries that use only the primary key (the table's one other index is on
 * task_id):
 *   - new rows: `id > last id seen ORDER BY id LIMIT batch`, a range walk of the primary key that
 *     reads only the rows written since the last poll;
 *   - rows seen unfinished (STARTED, RETRY...): re-read by task_id (its unique index), at most
 *     `maxTracked` of them, since Celery updates a task's row in place when it finishes.
 *   - ids skipped by the new rows (a gap): on PostgreSQL a row's id is taken when its INSERT runs,
 *     and two workers' transactions can commit in the other order, so a row may appear below the
 *     last id seen. Each gap's id is looked up again (the primary key) for GAP_MS (a rolled back
 *     insert leaves a gap that never fills).
 * A poll therefore costs one primary-key range read and up to `maxTracked` task_id lookups (of
 * status and date_done only; whole rows only for those that changed), whatever the table's size;
 * nothing scans it. The backfill walks the primary key in batches of
 * `batchSize`, letting the event loop go between them, and says where a later one may resume: the
 * row id before the oldest row still unfinished (it may change in place), else the last row read.
 */
import { DbUnavailable, type Db, type DbTarget, type Row } from "../../base/sql/db";
import { openDb } from "../../base/sql/open";
import { maskUrl } from "../../base/mask";
import type { TaskMeta } from "../result-meta";
import { BrokerUnavailable, type BackfillProgress, type ConnectionStatus, type ResultBackend } from "../transport";
import { isUnfinished, metaFromRow, taskmetaColumns } from "./rows";
import { DEFAULT_TABLES, quotedTable, tablesFromConf, type TaskmetaTables } from "./url";

/** How long an id skipped by the new rows is looked for (a transaction still open when they were read). */
const GAP_MS = 30_000;
/** Skipped ids kept at most (a sequence that jumps far is no run of open transactions). */
const MAX_GAPS = 1000;

export interface DatabaseResultBackendOptions {
  url: string;
  target: DbTarget;
  tables?: TaskmetaTables;
  pollMs?: number;
  batchSize?: number;
  /** Unfinished rows re-read each poll, the newest kept. */
  maxTracked?: number;
  /** Batches read per poll at most: a burst of new rows is read over several polls. */
  maxBatchesPerPoll?: number;
}

export class DatabaseResultBackend implements ResultBackend {
  readonly description: string;
  label: string;
  private db: Db | null = null;
  private table: string;
  private readonly listeners: ((m: TaskMeta) => void)[] = [];
  private readonly statusListeners: ((s: ConnectionStatus) => void)[] = [];
  private current: ConnectionStatus = { state: "connecting", error: null, since: Date.now() };
  /** The highest row id seen; null until the first successful poll. */
  private lastId: number | null = null;
  /** Unfinished rows by task_id -> the status and date_done they had and the row's id, oldest first. */
  private readonly tracked = new Map<string, { version: string; rowId: number }>();
  /** Ids below the last seen that no row had yet -> when first missed. */
  private readonly gaps = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  readonly stats = { polls: 0, rowsRead: 0 };

  constructor(private readonly opts: DatabaseResultBackendOptions) {
    this.description = maskUrl(opts.url);
    const t = opts.tables ?? DEFAULT_TABLES;
    this.table = quotedTable(t.task, t.taskSchema);
    this.label = labelOf(t, this.description);
  }

  /** The workers' table names (a name that is no plain identifier is ignored: it would not be safe to quote). */
  followConf(conf: Record<string, unknown>): boolean {
    const t = tablesFromConf(conf);
    let table: string;
    try {
      table = quotedTable(t.task, t.taskSchema);
    } catch {
      return false;
    }
    if (table === this.table) return false;
    this.table = table;
    this.label = labelOf(t, this.description);
    // Another table: the new one is read from its start (by the backfill that follows), and followed from its end.
    this.lastId = null;
    this.tracked.clear();
    this.gaps.clear();
    return true;
  }

  status(): ConnectionStatus {
    return this.current;
  }
  onStatus(listener: (s: ConnectionStatus) => void): void {
    this.statusListeners.push(listener);
  }
  onMeta(listener: (m: TaskMeta) => void): void {
    this.listeners.push(listener);
  }
  /** Never called: polling resumes from the last id seen after any break, so nothing is missed. */
  onResubscribed(_listener: () => void): void {}

  async start(): Promise<void> {
    try {
      this.db = await openDb(this.opts.target);
    } catch (e) {
      this.setStatus("unavailable", `driver could not be loaded: ${(e as Error).message.split("\n")[0]}`);
      return;
    }
    await this.poll();
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling?.catch(() => undefined);
    await this.db?.close();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        this.schedule();
      });
    }, this.opts.pollMs ?? 1000);
    this.timer.unref();
  }

  private setStatus(state: ConnectionStatus["state"], error: string | null): void {
    if (this.current.state === state && this.current.error === error) return;
    this.current = { state, error, since: Date.now() };
    for (const l of this.statusListeners) l(this.current);
  }

  private async query(sql: string, params: unknown[]): Promise<Row[]> {
    const rows = await this.open().query(sql, params);
    this.stats.rowsRead += rows.length;
    return rows;
  }

  /** The open database, or DbUnavailable (its driver could not be loaded). */
  private open(): Db {
    if (!this.db) throw new DbUnavailable(`${this.description}: not open`);
    return this.db;
  }

  /** New rows after `after`, in id order. */
  private rowsAfter(after: number, limit: number): Promise<Row[]> {
    const d = this.open().dialect;
    return this.query(`SELECT ${taskmetaColumns(d.timeText)} FROM ${this.table} WHERE id > ${d.param(1)} ORDER BY id LIMIT ${limit}`, [after]);
  }

  /** One poll: new rows, then the unfinished ones again. A failure is the status, retried next poll. */
  private async poll(): Promise<void> {
    if (!this.db || this.closed) return;
    this.stats.polls++;
    try {
      if (this.lastId === null) {
        // The first poll only finds where the table ends: what is already there is the backfill's.
        const rows = await this.query(`SELECT max(id) AS n FROM ${this.table}`, []);
        this.lastId = Number(rows[0]?.n ?? 0);
        this.setStatus("connected", null);
        return;
      }
      const batch = this.opts.batchSize ?? 1000;
      for (let i = 0; i < (this.opts.maxBatchesPerPoll ?? 10); i++) {
        const rows = await this.rowsAfter(this.lastId, batch);
        this.noteGaps(this.lastId, rows);
        this.emit(rows);
        if (rows.length) this.lastId = Number(rows[rows.length - 1]!.id);
        if (rows.length < batch) break;
      }
      if (this.gaps.size) await this.readGaps();
      if (this.tracked.size) {
        // Their status and date first (small, nothing to decode), then the whole rows of those that changed.
        const d = this.db.dialect;
        const inList = `${this.table} WHERE ${d.inJsonArray("task_id", 1)}`;
        const versions = await this.query(`SELECT task_id, status, ${d.timeText("date_done")} AS done_text FROM ${inList}`, [
          JSON.stringify([...this.tracked.keys()]),
        ]);
        const changed = versions.filter((r) => this.tracked.get(String(r.task_id))?.version !== versionOf(r)).map((r) => String(r.task_id));
        if (changed.length) this.emit(await this.query(`SELECT ${taskmetaColumns(d.timeText)} FROM ${inList}`, [JSON.stringify(changed)]));
      }
      this.setStatus("connected", null);
    } catch (e) {
      this.setStatus("unavailable", e instanceof DbUnavailable ? e.message : String(e));
    }
  }

  /** Ids between `after` and the rows read (in id order) that no row had: maybe a transaction still open. */
  private noteGaps(after: number, rows: Row[]): void {
    const now = Date.now();
    let expected = after + 1;
    for (const r of rows) {
      const id = Number(r.id);
      for (let gap = expected; gap < id && this.gaps.size < MAX_GAPS; gap++) this.gaps.set(gap, now);
      expected = id + 1;
    }
  }

  /** The rows that filled a gap since, and gaps given up after GAP_MS. */
  private async readGaps(): Promise<void> {
    const now = Date.now();
    for (const [id, since] of this.gaps) if (now - since > GAP_MS) this.gaps.delete(id);
    // Each gap's id looked up on the primary key (a transaction that commits later fills it).
    if (!this.gaps.size) return;
    const ids = [...this.gaps.keys()];
    const d = this.open().dialect;
    const rows = await this.query(
      `SELECT ${taskmetaColumns(d.timeText)} FROM ${this.table} WHERE id IN (${ids.map((_, i) => d.param(i + 1)).join(", ")})`,
      ids,
    );
    const filled = rows.filter((r) => this.gaps.delete(Number(r.id)));
    this.emit(filled);
  }

  private emit(rows: Row[]): void {
    const now = Date.now();
    for (const r of rows) {
      const m = this.remember(r, now);
      if (m) for (const l of this.listeners) l(m);
    }
  }

  /** The row as a TaskMeta, keeping unfinished rows tracked (the newest maxTracked) and dropping finished ones. */
  private remember(r: Row, now: number): TaskMeta | null {
    const m = metaFromRow(r, now);
    if (!m) return null;
    this.tracked.delete(m.taskId);
    if (isUnfinished(m.status)) {
      this.tracked.set(m.taskId, { version: versionOf(r), rowId: Number(r.id) });
      if (this.tracked.size > (this.opts.maxTracked ?? 1000)) this.tracked.delete(this.tracked.keys().next().value!);
    }
    return m;
  }

  async backfill(onBatch: (metas: TaskMeta[]) => void, onProgress: (p: BackfillProgress) => void, resumeFrom: string | null = null): Promise<string | null> {
    const batch = this.opts.batchSize ?? 1000;
    const progress: BackfillProgress = { scanned: 0, loaded: 0, done: false };
    const resume = Number(resumeFrom);
    let after = Number.isSafeInteger(resume) && resume > 0 ? resume : 0;
    for (;;) {
      const rows = await this.rowsAfter(after, batch);
      const now = Date.now();
      const metas = rows.map((r) => this.remember(r, now)).filter((m): m is TaskMeta => m !== null);
      progress.scanned += rows.length;
      progress.loaded += metas.length;
      if (metas.length) onBatch(metas);
      onProgress({ ...progress });
      if (rows.length) after = Number(rows[rows.length - 1]!.id);
      if (rows.length < batch) break;
      // Let requests run between batches: the backfill must never hold the event loop for long.
      await new Promise((r) => setImmediate(r));
    }
    progress.done = true;
    onProgress({ ...progress });
    const unfinished = [...this.tracked.values()].map((t) => t.rowId);
    return String(unfinished.length ? Math.min(after, ...unfinished) - 1 : after);
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    try {
      const d = this.open().dialect;
      const rows = await this.query(`SELECT ${taskmetaColumns(d.timeText)} FROM ${this.table} WHERE task_id = ${d.param(1)}`, [taskId]);
      return rows[0] ? metaFromRow(rows[0], Date.now()) : null;
    } catch (e) {
      throw e instanceof DbUnavailable ? new BrokerUnavailable(e.message) : e;
    }
  }
}

const labelOf = (t: TaskmetaTables, url: string) => `Celery database backend (${t.taskSchema ? `${t.taskSchema}.` : ""}${t.task}) on ${url}`;

/** What tells a row changed: Celery rewrites status and date_done on every save. */
const versionOf = (r: Row): string => `${String(r.status)}|${String(r.done_text)}`;
