// The task store: indexes, queries, cursor pagination, eviction (agent/sources/tasks/store.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { TaskState } from "../../agent/api/schema";
import type { TaskFilter, TaskSort } from "../../agent/sources/tasks/query";
import type { TaskRecord } from "../../agent/sources/tasks/record";
import { TaskStore } from "../../agent/sources/tasks/store";
import { decodeCursor, encodeCursor } from "../../agent/sources/tasks/cursor";
import { seededRandom } from "./helpers/random";
import { ev, heldTasks, meta, ms, referenceQuery, T0 } from "./helpers/task-inputs";

interface Spec {
  id: string;
  state: TaskState;
  received: number;
  name?: string;
  worker?: string;
  queue?: string;
  started?: number;
  finished?: number;
  runtime?: number;
  args?: string;
  kwargs?: string;
  result?: string;
  exception?: string;
  parent?: string;
}

/** Feeds a task's life to the store as a worker's events would. */
function addTask(s: TaskStore, o: Spec): TaskRecord {
  const w = o.worker ?? "w1@vm";
  const base = { name: o.name ?? "panel_fixture.add", queue: o.queue ?? "celery", args: o.args ?? "()", kwargs: o.kwargs ?? "{}", parent_id: o.parent ?? null };
  if (o.state === "PENDING") return s.applyEvent(ev("task-sent", o.id, o.received, base, "web@host"))!;
  let t = s.applyEvent(ev("task-received", o.id, o.received, base, w))!;
  if (o.state === "RECEIVED") return t;
  if (o.state !== "REJECTED") t = s.applyEvent(ev("task-started", o.id, o.started ?? o.received + 0.5, {}, w))!;
  const end = o.finished ?? o.received + 1;
  switch (o.state) {
    case "SUCCESS":
      return s.applyEvent(ev("task-succeeded", o.id, end, { result: o.result ?? "None", runtime: o.runtime ?? 0.5 }, w))!;
    case "FAILURE":
      return s.applyEvent(ev("task-failed", o.id, end, { exception: o.exception ?? "ValueError('boom')" }, w))!;
    case "RETRY":
      return s.applyEvent(ev("task-retried", o.id, end, { exception: o.exception ?? "Retry('Retry in 5s')" }, w))!;
    case "REVOKED":
      return s.applyEvent(ev("task-revoked", o.id, end, { terminated: false }, w))!;
    case "REJECTED":
      return s.applyEvent(ev("task-rejected", o.id, end, { requeue: false }, w))!;
    default:
      return t;
  }
}

const ids = (tasks: TaskRecord[]) => tasks.map((t) => t.id);
const byReceivedDesc: TaskSort = { by: "received", order: "desc" };
const byReceivedAsc: TaskSort = { by: "received", order: "asc" };

/** Eight tasks of a small deployment. */
function fixture(): TaskStore {
  const s = new TaskStore(1000);
  addTask(s, {
    id: "t-a-0001",
    state: "SUCCESS",
    received: T0 + 1,
    started: T0 + 1.1,
    finished: T0 + 1.6,
    runtime: 0.5,
    args: "(2, 3)",
    result: "5",
    name: "panel_fixture.add",
    worker: "w1@vm",
  });
  addTask(s, {
    id: "t-b-0002",
    state: "FAILURE",
    received: T0 + 2,
    started: T0 + 2.2,
    finished: T0 + 2.3,
    exception: "ValueError('Boom')",
    name: "panel_fixture.add",
    worker: "w2@vm",
  });
  addTask(s, { id: "t-c-0003", state: "STARTED", received: T0 + 3, started: T0 + 3.5, name: "panel_fixture.mul", worker: "w1@vm", queue: "high" });
  addTask(s, {
    id: "t-d-0004",
    state: "RECEIVED",
    received: T0 + 4,
    name: "panel_fixture.mul",
    worker: "w2@vm",
    queue: "high",
    kwargs: "{'to': 'Bob@Example.com'}",
  });
  addTask(s, { id: "t-e-0005", state: "RETRY", received: T0 + 5, name: "panel_fixture.send_email", worker: "w1@vm" });
  addTask(s, {
    id: "t-f-0006",
    state: "SUCCESS",
    received: T0 + 6,
    started: T0 + 6,
    finished: T0 + 9,
    runtime: 3,
    result: "'Sent to ALICE'",
    name: "panel_fixture.send_email",
    worker: "w3@vm",
    queue: "low",
  });
  addTask(s, { id: "t-g-0007", state: "PENDING", received: T0 + 7, name: "panel_fixture.add" });
  addTask(s, { id: "t-h-0008", state: "REVOKED", received: T0 + 8, finished: T0 + 8.5, name: "panel.DailyReport", worker: "w2@vm" });
  return s;
}

const q = (s: TaskStore, filter: TaskFilter, sort: TaskSort = byReceivedAsc, limit = 100) => s.query(filter, sort, limit, null);

describe("TaskStore.query: filters", () => {
  const s = fixture();

  test("no filter: everything, total counts all", () => {
    const p = q(s, {});
    assert.equal(p.total, 8);
    assert.deepEqual(ids(p.tasks), ["t-a-0001", "t-b-0002", "t-c-0003", "t-d-0004", "t-e-0005", "t-f-0006", "t-g-0007", "t-h-0008"]);
    assert.equal(p.nextCursor, null);
  });

  test("states: one, several, none present", () => {
    assert.deepEqual(ids(q(s, { states: ["SUCCESS"] }).tasks), ["t-a-0001", "t-f-0006"]);
    assert.deepEqual(ids(q(s, { states: ["SUCCESS", "FAILURE", "PENDING"] }).tasks), ["t-a-0001", "t-b-0002", "t-f-0006", "t-g-0007"]);
    assert.deepEqual(ids(q(s, { states: ["REJECTED"] }).tasks), []);
    assert.equal(q(s, { states: ["REJECTED", "STARTED"] }).total, 1);
  });

  test("name, worker, queue (exact), and combined", () => {
    assert.deepEqual(ids(q(s, { name: "panel_fixture.add" }).tasks), ["t-a-0001", "t-b-0002", "t-g-0007"]);
    assert.deepEqual(ids(q(s, { worker: "w1@vm" }).tasks), ["t-a-0001", "t-c-0003", "t-e-0005"]);
    assert.deepEqual(ids(q(s, { queue: "high" }).tasks), ["t-c-0003", "t-d-0004"]);
    assert.deepEqual(ids(q(s, { name: "panel_fixture.add", states: ["SUCCESS"] }).tasks), ["t-a-0001"]);
    assert.deepEqual(ids(q(s, { worker: "w2@vm", queue: "celery", states: ["FAILURE", "REVOKED"] }).tasks), ["t-b-0002", "t-h-0008"]);
    assert.equal(q(s, { name: "panel_fixture" }).total, 0, "name is exact, not a prefix");
    assert.equal(q(s, { worker: "nobody@vm" }).total, 0);
  });

  test("since / until on the received time, inclusive", () => {
    assert.deepEqual(ids(q(s, { since: ms(T0 + 3), until: ms(T0 + 6) }).tasks), ["t-c-0003", "t-d-0004", "t-e-0005", "t-f-0006"]);
    assert.deepEqual(ids(q(s, { since: ms(T0 + 7) }).tasks), ["t-g-0007", "t-h-0008"], "a PENDING task is listed under its sent time");
    assert.deepEqual(ids(q(s, { until: ms(T0 + 1) }).tasks), ["t-a-0001"]);
    assert.equal(q(s, { since: ms(T0 + 8) + 1 }).total, 0);
  });

  test("q searches id, name, args, kwargs, result and exception, case-insensitively (q arrives lower-cased)", () => {
    assert.deepEqual(ids(q(s, { q: "boom" }).tasks), ["t-b-0002"], "exception");
    assert.deepEqual(ids(q(s, { q: "bob@example.com" }).tasks), ["t-d-0004"], "kwargs");
    assert.deepEqual(ids(q(s, { q: "alice" }).tasks), ["t-f-0006"], "result");
    assert.deepEqual(ids(q(s, { q: "(2, 3)" }).tasks), ["t-a-0001"], "args");
    assert.deepEqual(ids(q(s, { q: "send_email" }).tasks), ["t-e-0005", "t-f-0006"], "name");
    assert.deepEqual(ids(q(s, { q: "dailyreport" }).tasks), ["t-h-0008"], "name, mixed case");
    assert.deepEqual(ids(q(s, { q: "t-c-00" }).tasks), ["t-c-0003"], "id");
    assert.deepEqual(ids(q(s, { q: "boom", states: ["SUCCESS"] }).tasks), []);
    assert.equal(q(s, { q: "no such text" }).total, 0);
  });

  test("q matches JSON args/results from the backend", () => {
    const st = new TaskStore(100);
    st.applyMeta(meta("j1", "SUCCESS", { args: [{ email: "Carol@Example.com" }], result: { Sent: true } }));
    assert.deepEqual(ids(q(st, { q: "carol@example" }).tasks), ["j1"]);
    assert.deepEqual(ids(q(st, { q: '"sent":true' }).tasks), ["j1"]);
  });

  test("q matches an upper-case (custom) task id case-insensitively", () => {
    const st = new TaskStore(100);
    addTask(st, { id: "Nightly-Report-42", state: "SUCCESS", received: T0, name: "panel_fixture.add" });
    assert.deepEqual(ids(q(st, { q: "report-42" }).tasks), ["Nightly-Report-42"]);
  });
});

describe("TaskStore.query: sort", () => {
  const s = fixture();

  test("received asc / desc", () => {
    assert.deepEqual(ids(q(s, {}, byReceivedDesc).tasks), ["t-h-0008", "t-g-0007", "t-f-0006", "t-e-0005", "t-d-0004", "t-c-0003", "t-b-0002", "t-a-0001"]);
  });

  test("started: missing start sorts lowest (last in desc, first in asc)", () => {
    assert.deepEqual(ids(q(s, {}, { by: "started", order: "desc" }).tasks), [
      "t-h-0008",
      "t-f-0006",
      "t-e-0005",
      "t-c-0003",
      "t-b-0002",
      "t-a-0001",
      "t-g-0007",
      "t-d-0004",
    ]);
    assert.deepEqual(ids(q(s, {}, { by: "started", order: "asc" }).tasks), [
      "t-d-0004",
      "t-g-0007",
      "t-a-0001",
      "t-b-0002",
      "t-c-0003",
      "t-e-0005",
      "t-f-0006",
      "t-h-0008",
    ]);
  });

  test("finished desc: finished tasks newest first, unfinished trail in reverse first-sight order", () => {
    assert.deepEqual(ids(q(s, {}, { by: "finished", order: "desc" }).tasks), [
      "t-f-0006",
      "t-h-0008",
      "t-b-0002",
      "t-a-0001",
      "t-g-0007",
      "t-e-0005",
      "t-d-0004",
      "t-c-0003",
    ]);
  });

  test("runtime asc / desc", () => {
    // runtimes: a 0.5 (event), b 0.1 (start-to-failure span), f 3 (event)
    const desc = q(s, { states: ["SUCCESS", "FAILURE"] }, { by: "runtime", order: "desc" }).tasks;
    assert.deepEqual(
      desc.map((t) => [t.id, t.runtime]),
      [
        ["t-f-0006", 3],
        ["t-a-0001", 0.5],
        ["t-b-0002", 0.1],
      ],
    );
    const asc = q(s, { states: ["SUCCESS", "FAILURE"] }, { by: "runtime", order: "asc" }).tasks;
    assert.deepEqual(ids(asc), ["t-b-0002", "t-a-0001", "t-f-0006"]);
  });

  test("limit cuts the page; total still counts every match; the cursor continues", () => {
    const p1 = s.query({}, byReceivedDesc, 3, null);
    assert.deepEqual(ids(p1.tasks), ["t-h-0008", "t-g-0007", "t-f-0006"]);
    assert.equal(p1.total, 8);
    assert.notEqual(p1.nextCursor, null);
    const p2 = s.query({}, byReceivedDesc, 3, decodeCursor(p1.nextCursor!));
    assert.deepEqual(ids(p2.tasks), ["t-e-0005", "t-d-0004", "t-c-0003"]);
    assert.equal(p2.total, 8);
    const p3 = s.query({}, byReceivedDesc, 3, decodeCursor(p2.nextCursor!));
    assert.deepEqual(ids(p3.tasks), ["t-b-0002", "t-a-0001"]);
    assert.equal(p3.nextCursor, null);
  });

  test("exactly `limit` matches left: no next cursor", () => {
    const p = s.query({ states: ["SUCCESS"] }, byReceivedAsc, 2, null);
    assert.equal(p.tasks.length, 2);
    assert.equal(p.nextCursor, null);
  });

  test("equal sort keys: first-sight order (asc), its reverse (desc), stable across pages", () => {
    const st = new TaskStore(100);
    const names = ["e1", "e2", "e3", "e4", "e5"];
    for (const id of names) addTask(st, { id, state: "RECEIVED", received: T0 });
    const walk = (sort: TaskSort, limit: number) => {
      const out: string[] = [];
      let cursor = null;
      for (let guard = 0; guard < 20; guard++) {
        const p = st.query({}, sort, limit, cursor);
        out.push(...ids(p.tasks));
        if (!p.nextCursor) return out;
        cursor = decodeCursor(p.nextCursor);
      }
      assert.fail(`pagination did not end: ${out.join(",")}`);
    };
    for (const limit of [1, 2, 3, 5, 10]) {
      assert.deepEqual(walk(byReceivedAsc, limit), names, `asc, limit ${limit}`);
      assert.deepEqual(walk(byReceivedDesc, limit), [...names].reverse(), `desc, limit ${limit}`);
      assert.deepEqual(walk({ by: "finished", order: "desc" }, limit), [...names].reverse(), `-Infinity keys, limit ${limit}`);
    }
  });
});

describe("TaskStore.query: cursor pagination visits every match exactly once (property)", () => {
  const STATES: TaskState[] = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"];
  const pick = <T>(rnd: () => number, xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  function build(seed: number, n: number): TaskStore {
    const rnd = seededRandom(seed);
    const s = new TaskStore(10_000);
    for (let i = 0; i < n; i++) {
      // Few distinct times and runtimes, so sort keys tie often.
      const received = T0 + Math.floor(rnd() * 20);
      addTask(s, {
        id: `task-${seed}-${i}`,
        state: pick(rnd, STATES),
        received,
        started: received + Math.floor(rnd() * 3),
        finished: received + 3 + Math.floor(rnd() * 3),
        runtime: pick(rnd, [0.5, 1, 2]),
        name: pick(rnd, ["app.a", "app.b", "app.c"]),
        worker: pick(rnd, ["w1@vm", "w2@vm"]),
        queue: pick(rnd, ["celery", "high"]),
      });
    }
    return s;
  }

  const reference = (s: TaskStore, f: TaskFilter, sort: TaskSort) => referenceQuery(heldTasks(s), f, sort);

  test("300 random tasks, every sort and order, random filters and page sizes", () => {
    const s = build(7, 300);
    const rnd = seededRandom(99);
    const filters: TaskFilter[] = [
      {},
      { states: ["SUCCESS", "FAILURE"] },
      { name: "app.b" },
      { worker: "w2@vm", queue: "high" },
      { states: ["STARTED"], name: "app.a" },
    ];
    let pages = 0;
    for (const by of ["received", "started", "finished", "runtime"] as const) {
      for (const order of ["asc", "desc"] as const) {
        for (const f of filters) {
          const sort = { by, order };
          const want = reference(s, f, sort);
          for (let round = 0; round < 3; round++) {
            const got: string[] = [];
            let cursor = null;
            for (let guard = 0; guard < 1000; guard++) {
              const limit = 1 + Math.floor(rnd() * 25);
              const p = s.query(f, sort, limit, cursor);
              pages++;
              assert.equal(p.total, want.length, `${by} ${order} ${JSON.stringify(f)}: total`);
              assert.ok(p.tasks.length <= limit);
              got.push(...ids(p.tasks));
              if (!p.nextCursor) break;
              assert.equal(p.tasks.length, limit, "only a full page has a next cursor");
              cursor = decodeCursor(p.nextCursor);
              assert.notEqual(cursor, null);
            }
            assert.equal(new Set(got).size, got.length, "no task twice");
            assert.deepEqual(got, want, `${by} ${order} ${JSON.stringify(f)}`);
          }
        }
      }
    }
    assert.ok(pages > 200);
  });
});

describe("TaskStore: indexes follow state changes", () => {
  test("STARTED -> SUCCESS: no longer found under STARTED", () => {
    const s = new TaskStore(100);
    addTask(s, { id: "x1", state: "STARTED", received: T0 });
    assert.deepEqual(ids([...s.inState("STARTED")]), ["x1"]);
    assert.deepEqual(Object.fromEntries(s.countByState()), { STARTED: 1 });
    s.applyEvent(ev("task-succeeded", "x1", T0 + 2, { result: "1", runtime: 1 }));
    assert.equal(s.inState("STARTED").size, 0);
    assert.deepEqual(ids([...s.inState("SUCCESS")]), ["x1"]);
    assert.equal(q(s, { states: ["STARTED"] }).total, 0);
    assert.deepEqual(ids(q(s, { states: ["SUCCESS"] }).tasks), ["x1"]);
    assert.deepEqual(Object.fromEntries(s.countByState()), { SUCCESS: 1 });
  });

  test("name, worker and queue learned later are indexed; facets count them", () => {
    const s = new TaskStore(100);
    s.applyMeta(meta("x1", "STARTED", { result: { pid: 1, hostname: "solo1@vm" } }));
    assert.equal(q(s, { worker: "solo1@vm" }).total, 1);
    assert.equal(q(s, { name: "app.slow" }).total, 0);
    s.applyEvent(ev("task-received", "x1", T0, { name: "app.slow", queue: "slow" }, "solo1@vm"));
    assert.equal(q(s, { name: "app.slow" }).total, 1);
    assert.equal(q(s, { queue: "slow" }).total, 1);
    addTask(s, { id: "x2", state: "SUCCESS", received: T0, name: "app.fast", worker: "w1@vm" });
    assert.deepEqual(Object.fromEntries(s.facet("name")), { "app.slow": 1, "app.fast": 1 });
    assert.deepEqual(Object.fromEntries(s.facet("worker")), { "solo1@vm": 1, "w1@vm": 1 });
  });

  test("a worker change moves the task between worker index entries", () => {
    const s = new TaskStore(100);
    s.applyEvent(ev("task-received", "x1", T0, {}, "w1@vm"));
    s.applyEvent(ev("task-received", "x1", T0 + 5, { retries: 1 }, "w2@vm"));
    assert.equal(q(s, { worker: "w1@vm" }).total, 0);
    assert.equal(q(s, { worker: "w2@vm" }).total, 1);
    assert.deepEqual(Object.fromEntries(s.facet("worker")), { "w2@vm": 1 });
  });

  test("childrenOf: tasks naming the id as parent", () => {
    const s = new TaskStore(100);
    addTask(s, { id: "parent", state: "SUCCESS", received: T0 });
    addTask(s, { id: "kid1", state: "SUCCESS", received: T0 + 1, parent: "parent" });
    addTask(s, { id: "kid2", state: "RECEIVED", received: T0 + 2, parent: "parent" });
    addTask(s, { id: "other", state: "RECEIVED", received: T0 + 3, parent: "someone-else" });
    assert.deepEqual(s.childrenOf("parent").sort(), ["kid1", "kid2"]);
    assert.deepEqual(s.childrenOf("kid1"), []);
    assert.deepEqual(s.childrenOf("unknown"), []);
  });

  test("events without a uuid are not stored", () => {
    const s = new TaskStore(100);
    const e = ev("task-received", "x", T0);
    delete e.fields.uuid;
    assert.equal(s.applyEvent(e), null);
    assert.equal(s.size, 0);
  });

  test("onChange is told of every update, except a silent applyMeta (backfill)", () => {
    const s = new TaskStore(100);
    const seen: string[] = [];
    s.onChange((t) => seen.push(`${t.id}:${t.state}`));
    s.applyEvent(ev("task-received", "x1", T0));
    s.applyMeta(meta("x1", "SUCCESS"));
    s.applyMeta(meta("x2", "SUCCESS"), false);
    assert.deepEqual(seen, ["x1:RECEIVED", "x1:SUCCESS"]);
    assert.equal(s.size, 2);
  });
});

describe("TaskStore: eviction", () => {
  test("the bound holds and the oldest FINISHED go first; unfinished are kept", () => {
    const s = new TaskStore(3);
    addTask(s, { id: "u1", state: "STARTED", received: T0 });
    addTask(s, { id: "f1", state: "SUCCESS", received: T0 + 1 });
    addTask(s, { id: "u2", state: "RECEIVED", received: T0 + 2 });
    assert.equal(s.size, 3);
    addTask(s, { id: "f2", state: "FAILURE", received: T0 + 3 });
    assert.equal(s.size, 3);
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["f2", "u1", "u2"],
    );
    addTask(s, { id: "u3", state: "RECEIVED", received: T0 + 4 });
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["u1", "u2", "u3"],
      "f2 was the only finished one",
    );
    // Indexes forget evicted tasks.
    assert.equal(q(s, { states: ["SUCCESS", "FAILURE"] }).total, 0);
    assert.equal(s.get("f1"), undefined);
    assert.deepEqual(Object.fromEntries(s.countByState()), { STARTED: 1, RECEIVED: 2 });
  });

  test("with nothing finished, the oldest go anyway", () => {
    const s = new TaskStore(3);
    for (const id of ["u1", "u2", "u3", "u4"]) addTask(s, { id, state: "RECEIVED", received: T0 });
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["u2", "u3", "u4"],
    );
    addTask(s, { id: "u5", state: "RECEIVED", received: T0 });
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["u3", "u4", "u5"],
    );
  });

  test("a task that finishes becomes evictable", () => {
    const s = new TaskStore(2);
    addTask(s, { id: "u1", state: "STARTED", received: T0 });
    addTask(s, { id: "u2", state: "STARTED", received: T0 + 1 });
    s.applyEvent(ev("task-succeeded", "u2", T0 + 2));
    addTask(s, { id: "u3", state: "RECEIVED", received: T0 + 3 });
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["u1", "u3"],
    );
  });

  test("an evicted task seen again comes back as a new record", () => {
    const s = new TaskStore(2);
    addTask(s, { id: "a", state: "SUCCESS", received: T0 });
    const firstSeq = s.get("a")!.seq;
    addTask(s, { id: "b", state: "RECEIVED", received: T0 + 1 });
    addTask(s, { id: "c", state: "RECEIVED", received: T0 + 2 });
    assert.equal(s.get("a"), undefined);
    s.applyMeta(meta("a", "STARTED", { result: { pid: 1, hostname: "w1@vm" } }));
    const again = s.get("a")!;
    assert.ok(again.seq > firstSeq, "a new first-sight order");
    assert.equal(again.state, "STARTED", "nothing of the evicted record is carried over");
    assert.equal(again.fromEvents, false);
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["a", "c"],
      "b, the oldest, made room: nothing was finished",
    );
  });

  test("a finished task arriving when all others are unfinished is the one that goes", () => {
    const s = new TaskStore(2);
    addTask(s, { id: "u1", state: "STARTED", received: T0 });
    addTask(s, { id: "u2", state: "STARTED", received: T0 + 1 });
    s.applyMeta(meta("late", "SUCCESS", { result: 1 }));
    assert.deepEqual(
      heldTasks(s)
        .map((t) => t.id)
        .sort(),
      ["u1", "u2"],
    );
  });

  test("many updates: size never exceeds the bound, unfinished tasks survive while finished ones exist", () => {
    const s = new TaskStore(50);
    const unfinished = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = `t${i}`;
      const keep = i % 50 === 0; // 40 unfinished in all, fewer than the bound
      addTask(s, { id, state: keep ? "STARTED" : i % 3 ? "SUCCESS" : "FAILURE", received: T0 + i });
      if (keep) unfinished.add(id);
      assert.ok(s.size <= 50, `size ${s.size} after ${i}`);
      // Re-touch an older finished task now and then (a late backend write).
      if (i % 7 === 0 && i > 10 && (i - 5) % 50 !== 0) s.applyMeta(meta(`t${i - 5}`, "SUCCESS", { result: i }));
      assert.ok(s.size <= 50);
    }
    for (const id of unfinished) assert.ok(s.get(id), `${id} (unfinished) was evicted`);
    assert.equal(s.inState("STARTED").size, 40);
    let counted = 0;
    for (const n of s.countByState().values()) counted += n;
    assert.equal(counted, s.size, "state index and task map agree");
  });
});

describe("cursors", () => {
  test("round trip, including +/-Infinity sort keys", () => {
    for (const c of [
      { v: 1795558020123, seq: 42 },
      { v: 0.25, seq: 1 },
      { v: Infinity, seq: 3 },
      { v: -Infinity, seq: 9 },
      { v: -5, seq: 0 },
    ]) {
      const s = encodeCursor(c);
      assert.match(s, /^[A-Za-z0-9_-]+$/, "URL-safe");
      assert.deepEqual(decodeCursor(s), c);
    }
  });

  test("garbage -> null", () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const s of [
      "",
      "!!!",
      "not-a-cursor",
      enc({ v: 1, seq: 2 }),
      enc([1]),
      enc([1, 2, 3]),
      enc(["x", 1]),
      enc([1, "2"]),
      enc(null),
      enc("inf"),
      enc([null, 1]),
    ]) {
      assert.equal(decodeCursor(s), null, s);
    }
  });
});

describe("typicalRuntime", () => {
  test("is the p95 runtime of the held tasks of that name, from 20 runs on, kept for 30 s", () => {
    const s = new TaskStore(1000);
    for (let i = 1; i <= 19; i++) s.applyEvent(ev("task-succeeded", `q-${i}`, T0 + i, { runtime: i, name: "app.q" }));
    assert.equal(s.typicalRuntime("app.q", ms(T0)), null, "19 runs: too few to say");
    s.applyEvent(ev("task-succeeded", "q-20", T0 + 20, { runtime: 20 }));
    s.applyEvent(ev("task-received", "q-20", T0 + 19, { name: "app.q" }));
    assert.equal(s.typicalRuntime("app.q", ms(T0) + 1000), null, "still the answer of a second ago");
    assert.equal(s.typicalRuntime("app.q", ms(T0) + 31_000), 20, "p95 of 1..20");
    assert.equal(s.typicalRuntime("app.unknown", ms(T0)), null);
  });
});
