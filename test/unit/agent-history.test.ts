// The durable task history (agent/sources/history/): the row codec, the schema's migrations, the
// pages and totals against the obvious reference, the live store chained with it, retention steps.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";

import type { TaskState } from "../../agent/api/schema";
import { HistoryDb } from "../../agent/sources/history/database";
import { historyCountsSince, historyPage, historyTotal, type HistoryPosition } from "../../agent/sources/history/history-pages";
import { HistoryTaskSource } from "../../agent/sources/history/history-source";
import { historyFileName, withoutCredentials } from "../../agent/sources/history/location";
import { FAILED_STATES, retentionStep } from "../../agent/sources/history/retention";
import { planSearch } from "../../agent/sources/history/search-plan";
import { decodeRow, encodeRow } from "../../agent/sources/history/row-codec";
import { MIGRATIONS, migrate, SchemaTooNew } from "../../agent/sources/history/schema";
import { parseMaxRows, parseRetain } from "../../agent/sources/history/settings";
import { OptionError, resolveOptions } from "../../agent/options";
import { HistoryWriter } from "../../agent/sources/history/writer";
import { ChainedTaskSource } from "../../agent/sources/chained-source";
import { LiveTaskSource } from "../../agent/sources/tasks/live-source";
import type { TaskFilter, TaskSort } from "../../agent/sources/tasks/query";
import type { TaskRecord } from "../../agent/sources/tasks/record";
import { TaskStore } from "../../agent/sources/tasks/store";
import { seededRandom } from "./helpers/random";
import { ev, meta, referenceQuery, T0 } from "./helpers/task-inputs";

const dir = mkdtempSync(join(tmpdir(), "celery-panel-history-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshDb = () => new HistoryDb(join(dir, `h${++files}`, "history.sqlite"));

const NAMES = ["app.add", "app.mail", "app.report"];
const WORKERS = ["w1@vm", "w2@vm"];
const ENDINGS: TaskState[] = ["SUCCESS", "FAILURE", "STARTED", "RECEIVED", "RETRY", "REVOKED"];

/** `n` tasks with the lives of real ones: received, started, then an ending; times 7 ms apart. */
function fill(store: TaskStore, n: number, seed = 7): TaskRecord[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < n; i++) {
    const id = `task-${String(i).padStart(5, "0")}-${Math.floor(rnd() * 1e6)}`;
    const w = pick(WORKERS);
    const t = T0 + i * 0.007;
    store.applyEvent(ev("task-received", id, t, { name: pick(NAMES), args: `(${i}, 'x')`, kwargs: "{}", routing_key: "celery" }, w));
    const end = pick(ENDINGS);
    if (end === "RECEIVED") continue;
    store.applyEvent(ev("task-started", id, t + 0.002, {}, w));
    if (end === "SUCCESS") store.applyEvent(ev("task-succeeded", id, t + 0.004, { result: `'ok ${i}'`, runtime: 0.002 + i / 1e6 }, w));
    if (end === "FAILURE")
      store.applyEvent(ev("task-failed", id, t + 0.004, { exception: "ValueError('boom')", traceback: "Traceback...\nValueError: boom" }, w));
    if (end === "RETRY") store.applyEvent(ev("task-retried", id, t + 0.004, { exception: "Retry('later')" }, w));
    if (end === "REVOKED") store.applyEvent(ev("task-revoked", id, t + 0.004, { terminated: true }, w));
  }
  return store.query({}, { by: "received", order: "asc" }, n + 1, null).tasks;
}

/** Every page of a listing, following the cursors; the ids in order. */
function walkHistory(db: HistoryDb, filter: TaskFilter, sort: TaskSort, limit: number, skip?: (id: string) => boolean): string[] {
  const out: string[] = [];
  let after: HistoryPosition | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = historyPage(db, { filter, sort, limit, after, searchPayloads: true, skip, search: planSearch(db, filter.q, true) });
    out.push(...page.tasks.map((t) => t.id));
    if (!page.next) return out;
    after = page.next;
  }
  throw new Error("no last page");
}

const totalOf = (db: HistoryDb, filter: TaskFilter) => historyTotal(db, filter, planSearch(db, filter.q, true), true).total;

const comparable = (t: TaskRecord) => ({ ...t, seq: 0, waiting: null });

describe("row codec", () => {
  test("a record comes back equal, failures, lost tasks and parents included", () => {
    const s = new TaskStore(1000);
    const tasks = fill(s, 60);
    s.applyEvent(
      ev("task-received", "child-1", T0 + 1, { name: "app.add", parent_id: tasks[0]!.id, root_id: tasks[0]!.id, eta: "2026-01-01T00:00:00" }, "w1@vm"),
    );
    s.markLost("w2@vm", "worker went offline", Math.round((T0 + 2) * 1000));
    s.applyMeta(meta("only-backend", "SUCCESS", { result: { n: [1, 2] }, children: [] }));
    for (const t of s.query({}, { by: "received", order: "asc" }, 1000, null).tasks) {
      const back = decodeRow(encodeRow(t, { payloads: true }), 1);
      assert.deepEqual(comparable(back), comparable(t), t.id);
    }
  });

  test("timeline steps are stored by number when their type is a usual one, and rows of earlier agents (by name) still read", () => {
    const s = new TaskStore(100);
    const [t] = fill(s, 1);
    t!.timeline.push({ type: "something-new", at: t!.timeline[0]!.at + 5, hostname: null, source: "agent", detail: null });
    const row = encodeRow(t!, { payloads: true });
    const steps = (JSON.parse(row.body) as { t: unknown[][] }).t;
    assert.equal(typeof steps[0]![0], "number");
    assert.equal(steps.at(-1)![0], "something-new");
    assert.deepEqual(comparable(decodeRow(row, 1)), comparable(t!));
    const named = JSON.parse(row.body) as { t: unknown[][] };
    named.t[0]![0] = t!.timeline[0]!.type;
    assert.equal(decodeRow({ ...row, body: JSON.stringify(named) }, 1).timeline[0]!.type, t!.timeline[0]!.type);
  });

  test("with payloads off (--redact) no argument, result, exception text or traceback is kept", () => {
    const s = new TaskStore(1000);
    for (const t of fill(s, 40)) {
      const row = encodeRow(t, { payloads: false });
      assert.doesNotMatch(row.body, /boom|'ok |'x'|Traceback|later/, row.body);
      const back = decodeRow(row, 1);
      assert.equal(back.args, null);
      assert.equal(back.result, null);
      assert.equal(back.state, t.state);
      assert.equal(back.excType, t.excType);
    }
  });
});

describe("schema", () => {
  test("a new file is created at the latest version, and opening it again migrates nothing", () => {
    const a = freshDb();
    assert.equal(a.openedAtVersion, 0);
    const path = a.path;
    a.close();
    const b = new HistoryDb(path);
    assert.equal(b.openedAtVersion, MIGRATIONS.length);
    b.close();
  });

  test("a database from a newer agent is refused, not guessed at", () => {
    const path = join(dir, "newer.sqlite");
    const raw = new BetterSqlite3(path);
    raw.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99)");
    assert.throws(() => migrate(raw), SchemaTooNew);
    raw.close();
    assert.throws(() => new HistoryDb(path), /schema version 99/);
  });
});

describe("pages and totals", () => {
  const store = new TaskStore(10_000);
  const tasks = fill(store, 600);
  const db = freshDb();
  db.write(tasks, { payloads: true });
  const cases: [TaskFilter, TaskSort][] = [
    [{}, { by: "received", order: "desc" }],
    [{}, { by: "received", order: "asc" }],
    [{ states: ["FAILURE"] }, { by: "received", order: "desc" }],
    [{ states: ["SUCCESS", "RETRY", "REVOKED"] }, { by: "received", order: "desc" }],
    [{ states: ["SUCCESS", "STARTED"] }, { by: "received", order: "asc" }],
    [{ name: "app.mail" }, { by: "received", order: "desc" }],
    [
      { name: "app.mail", states: ["SUCCESS"] },
      { by: "received", order: "desc" },
    ],
    [
      { worker: "w2@vm", states: ["FAILURE", "SUCCESS"] },
      { by: "received", order: "desc" },
    ],
    [{ queue: "celery" }, { by: "received", order: "desc" }],
    [
      { since: (T0 + 1) * 1000, until: (T0 + 3) * 1000 },
      { by: "received", order: "desc" },
    ],
    [{ q: "boom" }, { by: "received", order: "desc" }],
    [{ q: "task-0012" }, { by: "received", order: "asc" }],
    [{}, { by: "finished", order: "desc" }],
    [{ states: ["SUCCESS"] }, { by: "runtime", order: "desc" }],
    [{}, { by: "started", order: "asc" }],
    [{ name: "app.unknown" }, { by: "received", order: "desc" }],
  ];
  for (const [filter, sort] of cases) {
    test(`${JSON.stringify(filter)} by ${sort.by} ${sort.order}: every page in order, and the total`, () => {
      const want = referenceQuery(tasks, filter, sort);
      assert.deepEqual(walkHistory(db, filter, sort, 25), want);
      assert.equal(totalOf(db, filter), want.length);
    });
  }

  test("tasks per state since a time (the overview's last hour and day)", () => {
    const since = (T0 + 2) * 1000;
    const want: Record<string, number> = {};
    for (const t of tasks) if (Math.round(t.received!) >= since) want[t.state] = (want[t.state] ?? 0) + 1;
    assert.deepEqual(historyCountsSince(db, since), want);
  });

  test("skipped ids are left out, and a page still fills", () => {
    const skip = (id: string) => Number(id.slice(5, 10)) % 3 !== 0;
    const want = referenceQuery(tasks, {}, { by: "received", order: "desc" }).filter((id) => !skip(id));
    assert.deepEqual(walkHistory(db, {}, { by: "received", order: "desc" }, 7, skip), want);
  });

  test("totals follow updates and deletes (the counts the triggers keep)", () => {
    const s2 = new TaskStore(1000);
    const few = fill(s2, 50, 3);
    const d2 = freshDb();
    d2.write(few, { payloads: true });
    // Every started task finishes: its row changes state.
    for (const t of few.filter((t) => t.state === "STARTED")) s2.applyEvent(ev("task-succeeded", t.id, T0 + 10, { result: "1", runtime: 1 }, t.worker!));
    const now = s2.query({}, { by: "received", order: "asc" }, 100, null).tasks;
    d2.write(now, { payloads: true });
    assert.equal(totalOf(d2, { states: ["STARTED"] }), 0);
    assert.equal(totalOf(d2, { states: ["SUCCESS"] }), referenceQuery(now, { states: ["SUCCESS"] }, { by: "received", order: "asc" }).length);
    d2.deleteOldest(10);
    assert.equal(d2.rows(), 40);
    assert.equal(totalOf(d2, {}), 40);
  });
});

describe("the live store chained with the history", () => {
  test("one list, one cursor: the held tasks, then the history's others, none twice", async () => {
    // The history saw 300 tasks; the store (a new run) holds the last 100 of them and 20 new ones.
    const earlier = new TaskStore(1000);
    const all = fill(earlier, 300, 11);
    const db = freshDb();
    db.write(all, { payloads: true });
    const store = new TaskStore(1000);
    store.recall = (id) => db.get(id);
    for (const t of all.slice(200)) store.applyEvent(ev("task-revoked", t.id, T0 + 20, { terminated: false }, t.worker ?? "w1@vm"));
    for (let i = 0; i < 20; i++) store.applyEvent(ev("task-received", `new-${i}`, T0 + 30 + i, { name: "app.add" }, "w1@vm"));
    // As the agent's writer does: what the store holds is in the history too.
    db.write(store.query({}, { by: "received", order: "asc" }, 1000, null).tasks, { payloads: true });
    const chained = new ChainedTaskSource(new LiveTaskSource(store), new HistoryTaskSource(db, (id) => store.holds(id)));
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    do {
      const page = await chained.list({ filter: {}, sort: { by: "received", order: "desc" }, limit: 33, cursor, searchPayloads: true });
      seen.push(...page.tasks.map((t) => t.id));
      total = page.total;
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, "no task twice");
    assert.equal(seen.length, 320);
    assert.equal(total, 320, "the larger of the two totals: the history's");
    // The recalled tasks kept what the earlier run knew (their name, arguments), with the new state on top.
    const recalled = store.get(all[250]!.id)!;
    assert.equal(recalled.state, "REVOKED");
    assert.equal(recalled.name, all[250]!.name);
    assert.deepEqual(recalled.args, all[250]!.args);
    // A task only the history has opens from it.
    const old = await chained.get(all[5]!.id);
    assert.equal(old?.servedBy, "history");
    assert.equal(old?.task.state, all[5]!.state);
  });
});

describe("writer", () => {
  test("writes each changed task once, as the store holds it at the flush, bulk loads included", () => {
    const store = new TaskStore(10_000);
    const db = freshDb();
    const writer = new HistoryWriter(db, (id) => store.get(id), { payloads: true, intervalMs: 300 });
    store.onWrite((id) => writer.changed(id));
    const tasks = fill(store, 5000, 13);
    // A backfill (no listeners told) is written too.
    store.applyMeta(meta("from-backfill", "SUCCESS", { result: 4 }), false);
    assert.equal(writer.pending, 5001);
    writer.stop();
    assert.equal(writer.pending, 0);
    assert.equal(db.rows(), 5001);
    assert.equal(writer.stats.written, 5001, "one write per task, however many events it had");
    for (const t of [tasks[0]!, tasks[4999]!]) assert.deepEqual(comparable(db.get(t.id)!), comparable(store.get(t.id)!));
    assert.equal(db.get("from-backfill")?.state, "SUCCESS");
  });
});

describe("retention", () => {
  test("by age, then by rows: the oldest go and nothing else, in small steps", () => {
    const s = new TaskStore(10_000);
    const tasks = fill(s, 500, 5);
    const db = freshDb();
    db.write(tasks, { payloads: true });
    const byAge = [...tasks].sort((a, b) => a.received! - b.received!);
    // Keep what was received in the last 2 s of the fixture's 3.5 s.
    const now = Math.round(byAge.at(-1)!.received!) + 1;
    const limits = { retainMs: 2000, retainFailuresMs: 2000, maxRows: 10_000 };
    let steps = 0;
    while (retentionStep(db, limits, now, 50) > 0) steps++;
    const kept = byAge.filter((t) => Math.round(t.received!) >= now - 2000).map((t) => t.id);
    assert.ok(steps > 3, "several small steps");
    assert.deepEqual(walkHistory(db, {}, { by: "received", order: "asc" }, 100), kept);
    // Then by rows: keep the newest 100.
    while (retentionStep(db, { retainMs: 2000, retainFailuresMs: 2000, maxRows: 100 }, now, 50) > 0);
    assert.deepEqual(walkHistory(db, {}, { by: "received", order: "asc" }, 100), kept.slice(-100));
    assert.equal(db.rows(), 100);
  });

  test("failed tasks kept longer (--retain-failures): the others go at --retain, failures at their own age", () => {
    const s = new TaskStore(10_000);
    const tasks = fill(s, 500, 9);
    const db = freshDb();
    db.write(tasks, { payloads: true });
    const byAge = [...tasks].sort((a, b) => a.received! - b.received!);
    const now = Math.round(byAge.at(-1)!.received!) + 1;
    const failed = (t: TaskRecord) => FAILED_STATES.includes(t.state);
    assert.ok(byAge.filter(failed).length > 20, "the fixture has failures");
    const limits = { retainMs: 1000, retainFailuresMs: 3000, maxRows: 10_000 };
    while (retentionStep(db, limits, now, 40) > 0);
    const recent = (ms: number) => (t: TaskRecord) => Math.round(t.received!) >= now - ms;
    const kept = byAge.filter((t) => (failed(t) ? recent(3000)(t) : recent(1000)(t))).map((t) => t.id);
    assert.ok(kept.length < byAge.length && byAge.filter(failed).some((t) => !recent(1000)(t) && recent(3000)(t)), "a failure older than --retain stays");
    assert.deepEqual(walkHistory(db, {}, { by: "received", order: "asc" }, 100), kept);
    assert.equal(db.rows(), kept.length);
  });
});

describe("settings", () => {
  test("ages and row limits, and clear refusals", () => {
    assert.equal(parseRetain("14d"), 14 * 86_400_000);
    assert.equal(parseRetain("90m"), 90 * 60_000);
    assert.equal(parseRetain("2s"), 2000);
    assert.throws(() => parseRetain("14 days"), /--retain must be an age such as 14d/);
    assert.throws(() => parseRetain("0s"), /at least 1s/);
    assert.throws(() => parseRetain("forever", "--retain-failures"), /--retain-failures must be an age/);
    assert.equal(parseMaxRows("5_000_000"), 5_000_000);
    assert.throws(() => parseMaxRows("many"), /--retain-max-rows must be a whole number/);
  });

  test("the agent's options: the data directory, --no-history, and a bad value named", () => {
    const o = resolveOptions({ broker: "redis://:pw@cache:6379/0" }, { XDG_DATA_HOME: "/srv/data" });
    assert.match(o.history!.path, /^\/srv\/data\/celery-panel\/cache-6379-0-[0-9a-f]{8}\.sqlite$/);
    assert.equal(o.history!.retainMs, 14 * 86_400_000);
    assert.equal(o.history!.retainMaxRows, 5_000_000);
    assert.equal(resolveOptions({ "data-dir": "/x" }, { CELERY_PANEL_NO_HISTORY: "true" }).history, null);
    assert.equal(resolveOptions({}, { CELERY_PANEL_DATA_DIR: "/d" }).history!.path.startsWith("/d/"), true);
    assert.throws(
      () => resolveOptions({ retain: "forever" }, {}),
      (e: Error) => e instanceof OptionError && /--retain must be an age/.test(e.message),
    );
    assert.throws(() => resolveOptions({ "retain-max-rows": "-3" }, {}), OptionError);
  });

  test("one file per deployment, named without credentials", () => {
    const a = historyFileName("redis://:s3cret@cache.internal:6380/2");
    assert.match(a, /^cache\.internal-6380-2-[0-9a-f]{8}\.sqlite$/);
    assert.doesNotMatch(a, /s3cret/);
    assert.equal(a, historyFileName("redis://:other@cache.internal:6380/2"), "a password change keeps the history");
    assert.notEqual(a, historyFileName("redis://cache.internal:6380/3"));
    assert.equal(withoutCredentials("amqp://u:p@h1//;amqp://u:p@h2//"), "amqp://h1//;amqp://h2//");
  });

  test("a task without payloads costs a few hundred bytes on disk", () => {
    const s = new TaskStore(20_000);
    const tasks = fill(s, 5000, 9);
    const db = freshDb();
    db.write(tasks, { payloads: false });
    db.db.pragma("wal_checkpoint(TRUNCATE)");
    const bytes = statSync(db.path).size;
    db.close();
    assert.ok(bytes / 5000 < 600, `${(bytes / 5000).toFixed(0)} bytes per task`);
  });
});
