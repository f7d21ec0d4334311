/**
 * Search in the durable history: rare texts found through the indexes (payload trigrams, id
 * prefix, names), common ones by walking, each row checked for the text itself, the trigram table
 * kept in step with writes and deletes, and a version-1 file indexed when opened.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { HistoryDb } from "../../agent/sources/history/database";
import { historyPage, historyTotal, SEARCH_COUNT_CAP } from "../../agent/sources/history/history-pages";
import { MIGRATIONS } from "../../agent/sources/history/schema";
import { MAX_CANDIDATES } from "../../agent/sources/history/search-index";
import { planSearch } from "../../agent/sources/history/search-plan";
import type { TaskFilter } from "../../agent/sources/tasks/query";
import type { TaskRecord } from "../../agent/sources/tasks/record";
import { TaskStore } from "../../agent/sources/tasks/store";
import { ev, referenceQuery, T0 } from "./helpers/task-inputs";

const dir = mkdtempSync(join(tmpdir(), "celery-panel-history-search-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshDb = () => new HistoryDb(join(dir, `h${++files}`, "history.sqlite"));

/** `n` finished tasks of `name`, the i-th with args [i, "order-<i>"] and result "total <3i>". */
function tasks(store: TaskStore, n: number, name = "shop.checkout", from = 0): TaskRecord[] {
  for (let i = from; i < from + n; i++) {
    const id = `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`;
    const t = T0 + i / 1000;
    store.applyEvent(ev("task-received", id, t, { name, args: `[${i}, 'order-${i}']`, kwargs: "{}" }));
    store.applyEvent(ev("task-succeeded", id, t + 0.001, { result: `'total ${i * 3}'`, runtime: 0.001 }));
  }
  return store.query({}, { by: "received", order: "asc" }, store.size, null).tasks;
}

function search(db: HistoryDb, filter: TaskFilter, payloads = true) {
  const plan = planSearch(db, filter.q, payloads);
  const page = historyPage(db, { filter, sort: { by: "received", order: "desc" }, limit: 50, after: null, searchPayloads: payloads, search: plan });
  return { plan: plan.kind, ids: page.tasks.map((t) => t.id), ...historyTotal(db, filter, plan, payloads) };
}

describe("history search", () => {
  const store = new TaskStore(50_000);
  const all = tasks(store, 3000);
  const db = freshDb();
  db.write(all, { payloads: true });

  test("a rare payload text is found through the trigram index, exactly as the live store would", () => {
    for (const q of ["'order-1234'", "total 4701", "order-2999"]) {
      const got = search(db, { q });
      assert.equal(got.plan, "rows", q);
      assert.deepEqual(got.ids, referenceQuery(all, { q }, { by: "received", order: "desc" }), q);
      assert.equal(got.total, got.ids.length);
      assert.ok(got.ids.length >= 1, q);
    }
  });

  test("rows holding every trigram but not the text are left out", () => {
    // Row 1234 holds "[1234, 'order-1234']": every trigram of "r-1234, '", but not the text.
    const plan = planSearch(db, "r-1234, '", true);
    assert.equal(plan.kind, "rows");
    assert.ok(plan.kind === "rows" && plan.count >= 1, "the trigrams pick the row");
    const got = search(db, { q: "r-1234, '" });
    assert.deepEqual(got.ids, []);
    assert.equal(got.total, 0, "nor counted");
  });

  test("an id is found from its beginning, a name from anywhere in it, with other filters", () => {
    assert.deepEqual(search(db, { q: "00001234-0000" }).ids, [all[1234]!.id]);
    const byName = search(db, { q: "checkout", since: (T0 + 2.99) * 1000 });
    assert.equal(byName.plan, "rows");
    assert.deepEqual(byName.ids, referenceQuery(all, { q: "checkout", since: (T0 + 2.99) * 1000 }, { by: "received", order: "desc" }).slice(0, 50));
  });

  test("without payloads (a caller who may not see them) only ids and names are searched", () => {
    assert.deepEqual(search(db, { q: "order-1234" }, false).ids, []);
    assert.equal(search(db, { q: "checkout" }, false).total, 3000);
  });

  test("a changed result is found by its new text, not the old; deleted rows are gone from the index", () => {
    const s2 = new TaskStore(1000);
    const few = tasks(s2, 10, "shop.refund");
    const d2 = freshDb();
    d2.write(few, { payloads: true });
    assert.equal(search(d2, { q: "total 27" }).ids.length, 1);
    s2.applyEvent(ev("task-succeeded", few[9]!.id, T0 + 5, { result: "'refunded 99'", runtime: 0.5 }));
    d2.write([s2.get(few[9]!.id)!], { payloads: true });
    assert.deepEqual(search(d2, { q: "total 27" }).ids, []);
    assert.deepEqual(search(d2, { q: "refunded 99" }).ids, [few[9]!.id]);
    d2.deleteOldest(5);
    assert.deepEqual(search(d2, { q: "order-3" }).ids, []);
    assert.equal((d2.db.prepare("SELECT count(*) AS n FROM search").get() as { n: number }).n, 5);
  });

  test("a common text walks the list, and its count stops at the cap", () => {
    const s3 = new TaskStore(100_000);
    const many = tasks(s3, MAX_CANDIDATES + 500, "shop.bulk");
    const d3 = freshDb();
    for (let i = 0; i < many.length; i += 1000) d3.write(many.slice(i, i + 1000), { payloads: true });
    const got = search(d3, { q: "order-" });
    assert.equal(got.plan, "walk");
    assert.equal(got.ids.length, 50);
    assert.deepEqual(got.ids, referenceQuery(many, { q: "order-" }, { by: "received", order: "desc" }).slice(0, 50));
    assert.equal(got.total, SEARCH_COUNT_CAP);
    assert.equal(got.atLeast, true);
    // A rare text in the same file still goes through the index.
    assert.equal(search(d3, { q: "order-20123'" }).plan, "rows");
  });

  test("a file written before the search index (version 1) is indexed when opened", () => {
    const path = join(dir, "v1", "history.sqlite");
    const d4 = new HistoryDb(path);
    const s4 = new TaskStore(1000);
    const few = tasks(s4, 20, "shop.old");
    d4.write(few, { payloads: true });
    d4.close();
    // Back to version 1: the index, the hash column and what came after gone.
    const raw = new BetterSqlite3(path);
    raw.exec("DROP TABLE search; DROP TABLE IF EXISTS meta; ALTER TABLE tasks DROP COLUMN sh; UPDATE schema_version SET version = 1");
    raw.close();
    const again = new HistoryDb(path);
    assert.equal(again.openedAtVersion, 1);
    assert.equal(MIGRATIONS.length >= 2, true);
    assert.deepEqual(search(again, { q: "order-17'" }).ids, [few[17]!.id]);
    // Written again, the row is indexed once, not twice.
    again.write([few[17]!], { payloads: true });
    assert.equal((again.db.prepare("SELECT count(*) AS n FROM search WHERE search MATCH ?").get('"r-1" AND "-17"') as { n: number }).n, 1);
    again.close();
  });
});
