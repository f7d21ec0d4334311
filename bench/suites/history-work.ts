/**
 * The history section's work, in a process of its own (run by history.ts):
 *
 *   node --import tsx bench/suites/history-work.ts ingest <dir> <tasks>
 *     Task events (received, started, succeeded: three updates per task) applied to a TaskStore
 *     as fast as one core goes, the HistoryWriter flushing every 300 ms as in the agent, while a
 *     first page of the chained list (live + history) is read every 100 ms. Prints the updates per
 *     second from the first event to the last row committed, and the bytes per task on disk.
 *
 *   node --import tsx bench/suites/history-work.ts build <file> <tasks>
 *     A large history written straight through HistoryDb.write (the writer's own upsert), tasks
 *     of realistic shape (uuid ids, 12 names, 8 workers, 3 queues, 5 % failures, small payloads),
 *     a few seconds apart over the last weeks. Prints rows, time, bytes.
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { CeleryEvent } from "../../agent/protocol/events";
import { ChainedTaskSource } from "../../agent/sources/chained-source";
import { HistoryDb } from "../../agent/sources/history/database";
import { HistoryTaskSource } from "../../agent/sources/history/history-source";
import { HistoryWriter } from "../../agent/sources/history/writer";
import { LiveTaskSource } from "../../agent/sources/tasks/live-source";
import { newRecord, type TaskRecord } from "../../agent/sources/tasks/record";
import { TaskStore } from "../../agent/sources/tasks/store";

const NAMES = Array.from({ length: 12 }, (_, i) => `shop.tasks.job_${i}`);
const WORKERS = Array.from({ length: 8 }, (_, i) => `celery@worker-${i}`);
const QUEUES = ["celery", "mail", "reports"];

function event(type: string, id: string, tsMs: number, worker: string, fields: Record<string, unknown>): CeleryEvent {
  const timestamp = tsMs / 1000;
  return {
    type,
    hostname: worker,
    timestamp,
    receivedAt: tsMs,
    utcoffset: 0,
    clock: null,
    pid: null,
    fields: { type, hostname: worker, timestamp, uuid: id, ...fields },
  };
}

function fileBytes(path: string): number {
  let n = 0;
  for (const f of [path, `${path}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      /* no WAL */
    }
  }
  return n;
}

async function ingest(dir: string, tasks: number): Promise<void> {
  const store = new TaskStore(100_000);
  const db = new HistoryDb(join(dir, "ingest.sqlite"));
  const writer = new HistoryWriter(db, (id) => store.get(id), { payloads: true, intervalMs: 300 });
  store.onWrite((id) => writer.changed(id));
  const source = new ChainedTaskSource(new LiveTaskSource(store), new HistoryTaskSource(db, (id) => store.holds(id)));
  const pageMs: number[] = [];
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const t0 = performance.now();
      await source.list({ filter: {}, sort: { by: "received", order: "desc" }, limit: 50, cursor: null, searchPayloads: true });
      pageMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  writer.start();
  const start = Date.now() - tasks;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Tasks overlap as on a busy deployment: each event batch holds the three steps of tasks in flight.
  const CHUNK = 500;
  for (let i = 0; i < tasks; i += CHUNK) {
    const batch = Array.from({ length: Math.min(CHUNK, tasks - i) }, (_, k) => ({ id: randomUUID(), n: i + k }));
    for (const t of batch) {
      const w = WORKERS[t.n % WORKERS.length]!;
      store.applyEvent(
        event("task-received", t.id, start + t.n, w, { name: NAMES[t.n % NAMES.length], args: `(${t.n},)`, kwargs: "{}", routing_key: QUEUES[t.n % 3] }),
      );
    }
    for (const t of batch) store.applyEvent(event("task-started", t.id, start + t.n + 1, WORKERS[t.n % WORKERS.length]!, {}));
    for (const t of batch) store.applyEvent(event("task-succeeded", t.id, start + t.n + 3, WORKERS[t.n % WORKERS.length]!, { result: "None", runtime: 0.002 }));
    await yieldToLoop();
  }
  const applied = performance.now() - t0;
  writer.stop();
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  reading = false;
  await reader;
  db.db.pragma("wal_checkpoint(TRUNCATE)");
  const rows = db.rows();
  const bytes = fileBytes(db.path);
  db.close();
  const updates = tasks * 3;
  const sorted = [...pageMs].sort((a, b) => a - b);
  const out = {
    tasks,
    updates,
    rows,
    appliedMs: applied,
    totalMs: total,
    updatesPerSecond: (updates / total) * 1000,
    cpuMs,
    updatesPerCpuSecond: (updates / cpuMs) * 1000,
    rowsWritten: writer.stats.written,
    flushes: writer.stats.flushes,
    bytesPerTask: bytes / rows,
    pageP50: sorted[Math.floor(sorted.length / 2)] ?? null,
    pages: sorted.length,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
  console.log(JSON.stringify(out));
}

/** One finished task of the big history: most succeed, some fail with a short traceback. */
function bigRecord(n: number, at: number): TaskRecord {
  const t = newRecord(randomUUID(), 0, at);
  const failed = n % 20 === 7;
  t.name = NAMES[n % NAMES.length]!;
  t.worker = WORKERS[(n >> 3) % WORKERS.length]!;
  t.queue = QUEUES[n % QUEUES.length]!;
  t.queueSource = "event";
  t.state = failed ? "FAILURE" : n % 97 === 5 ? "REVOKED" : "SUCCESS";
  t.received = at;
  t.started = at + 2;
  t.finished = at + 40 + (n % 300);
  t.runtime = (38 + (n % 300)) / 1000;
  t.stateAt = t.finished;
  t.args = { format: "repr", value: `(${n % 10_000},)` };
  // An id of the order the task is about, its own: what a search looks for.
  t.kwargs = { format: "repr", value: `{'order_id': ${n}}` };
  if (failed) {
    t.exception = "ValueError('bad input')";
    t.excType = "ValueError";
    t.traceback = 'Traceback (most recent call last):\n  File "shop/tasks.py", line 12, in job\nValueError: bad input';
  } else t.result = { format: "repr", value: "None" };
  t.rootId = t.id;
  t.fromEvents = true;
  t.timeline = [
    { type: "task-received", at, hostname: t.worker, source: "event", detail: null },
    { type: "task-started", at: at + 2, hostname: t.worker, source: "event", detail: null },
    { type: failed ? "task-failed" : "task-succeeded", at: t.finished, hostname: t.worker, source: "event", detail: null },
  ];
  return t;
}

const SECONDARY = ["tasks_recv", "tasks_state", "tasks_name", "tasks_worker", "tasks_queue"];

function build(file: string, tasks: number): void {
  const db = new HistoryDb(file);
  // A bulk load: nothing to lose if the machine stops, so no syncing; a large page cache; the
  // list's indexes built once at the end (a sorted build) instead of row by row.
  db.db.pragma("synchronous = OFF");
  db.db.pragma("cache_size = -1048576");
  const definitions = db.db
    .prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN (${SECONDARY.map(() => "?").join(",")})`)
    .all(...SECONDARY) as { sql: string }[];
  for (const name of SECONDARY) db.db.exec(`DROP INDEX ${name}`);
  const t0 = performance.now();
  const spacing = Math.max(1, Math.floor((13 * 86_400_000) / tasks));
  const first = Date.now() - tasks * spacing;
  const BATCH = 50_000;
  for (let i = 0; i < tasks; i += BATCH) {
    const batch: TaskRecord[] = [];
    for (let n = i; n < Math.min(tasks, i + BATCH); n++) batch.push(bigRecord(n, first + n * spacing));
    db.write(batch, { payloads: true });
    if (i % 1_000_000 === 0) process.stderr.write(`  history build: ${i.toLocaleString("en-US")} rows, ${Math.round((performance.now() - t0) / 1000)} s\n`);
  }
  for (const d of definitions) db.db.exec(d.sql);
  db.db.pragma("wal_checkpoint(TRUNCATE)");
  const ms = performance.now() - t0;
  const rows = db.rows();
  db.close();
  console.log(JSON.stringify({ rows, ms, bytes: fileBytes(file), rowsPerSecond: (rows / ms) * 1000 }));
}

const [mode, where, count] = process.argv.slice(2);
if (mode === "ingest") await ingest(where!, Number(count));
else if (mode === "build") build(where!, Number(count));
else throw new Error("usage: history-work.ts ingest <dir> <tasks> | build <file> <tasks>");
