/**
 * Celery's database result backend (issue 16): a celery_taskmeta table in SQLite, made with the
 * schema Celery's SQLAlchemy models create (result_extended) and filled with 1,000,000 rows (1 %
 * STARTED: rows the poll keeps re-reading), read by the agent's own DatabaseResultBackend in this
 * process: the backfill's rate, and what one poll costs with nothing new and with 100 new rows,
 * the 1,000 unfinished rows it tracks included. Polls run on the event loop (better-sqlite3 is
 * synchronous): their time is the time the agent is held each second.
 */
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { DatabaseResultBackend } from "../../agent/protocol/database/result-backend";
import { parseDatabaseBackendUrl } from "../../agent/protocol/database/url";
import { log } from "../lib/proc";
import { fmtMs, summarize } from "../lib/stats";
import type { BenchContext } from "../run";

const ROW = "Celery database backend (celery_taskmeta, SQLite)";
const SCHEMA = `CREATE TABLE celery_taskmeta (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, task_id VARCHAR(155), status VARCHAR(50),
  result BLOB, date_done DATETIME, traceback TEXT, name VARCHAR(155), args BLOB, kwargs BLOB, worker VARCHAR(155), retries INTEGER,
  queue VARCHAR(155), UNIQUE (task_id))`;
/** pickle.dumps(5, protocol=5), as Celery's PickleType column holds a JSON-serializable result. */
const RESULT = Buffer.from([0x80, 0x05, 0x4b, 0x05, 0x2e]);

export async function taskmetaSuite(ctx: BenchContext): Promise<void> {
  const rows = ctx.quick ? 200_000 : 1_000_000;
  const file = join(ctx.tmpDir, "celery_taskmeta.db");
  rmSync(file, { force: true });
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  const writer = new Database(file);
  writer.exec(SCHEMA);
  const insert = writer.prepare(
    "INSERT INTO celery_taskmeta (task_id, status, result, date_done, name, args, kwargs, worker, retries, queue) VALUES (?,?,?,?,?,?,?,?,?,?)",
  );
  let n = 0;
  const add = (count: number, status: (i: number) => string) =>
    writer.transaction(() => {
      for (let i = 0; i < count; i++, n++)
        insert.run(
          `bench-${n}-${n.toString(36)}`,
          status(n),
          RESULT,
          "2026-12-02 02:18:59.836934",
          "panel_fixture.add",
          Buffer.from(`[${n % 37}, 1]`),
          Buffer.from("{}"),
          `w${n % 8}@bench`,
          0,
          "celery",
        );
    })();
  add(rows, (i) => (i % 100 === 0 ? "STARTED" : "SUCCESS"));
  log(`taskmeta: ${rows} rows in ${file}`);

  const url = `db+sqlite:///${file}`;
  const backend = new DatabaseResultBackend({ url, target: parseDatabaseBackendUrl(url).db });
  await backend.start();
  const t0 = performance.now();
  let loaded = 0;
  await backend.backfill(
    (m) => (loaded += m.length),
    () => undefined,
  );
  const backfillS = (performance.now() - t0) / 1000;
  const poll = async () => {
    const s = performance.now();
    await (backend as unknown as { poll(): Promise<void> }).poll();
    return performance.now() - s;
  };
  const idle: number[] = [];
  for (let i = 0; i < 30; i++) idle.push(await poll());
  const busy: number[] = [];
  for (let i = 0; i < 30; i++) {
    add(100, () => "SUCCESS");
    busy.push(await poll());
  }
  await backend.close();
  writer.close();
  rmSync(file, { force: true });

  const idleS = summarize(idle);
  const busyS = summarize(busy);
  ctx.figures.push(
    {
      id: "taskmeta.backfill.rate",
      row: ROW,
      what: `backfill of ${rows.toLocaleString("en")} rows (primary-key batches of 1,000, pickles read)`,
      value: Math.round(loaded / backfillS),
      unit: "rows/s",
      target: null,
      note: `${loaded} rows in ${backfillS.toFixed(1)} s`,
    },
    {
      id: "taskmeta.poll.idle",
      row: ROW,
      what: "one poll, nothing new, 1,000 unfinished rows re-read",
      value: idleS.p50,
      unit: "ms",
      target: null,
      summary: idleS,
    },
    {
      id: "taskmeta.poll.new100",
      row: ROW,
      what: "one poll with 100 new rows, the same 1,000 re-read",
      value: busyS.p50,
      unit: "ms",
      target: null,
      summary: busyS,
    },
  );
  log(`taskmeta: backfill ${Math.round(loaded / backfillS)} rows/s; poll idle ${fmtMs(idleS.p50)}, with 100 new ${fmtMs(busyS.p50)}`);
}
