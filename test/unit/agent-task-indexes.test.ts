// The task store's data structures for a million tasks: the received-time order index, interned
// symbols, the block text search, the packed form of quiet tasks, and the store with every task
// packed checked against the same store with every task held as an object.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { TaskState } from "../../agent/api/schema";
import { IdTable } from "../../agent/sources/tasks/id-table";
import { OrderIndex, STATE_COUNT } from "../../agent/sources/tasks/order-index";
import { packRest, packText, unpackRest, unpackText } from "../../agent/sources/tasks/pack";
import type { TaskFilter, TaskSort } from "../../agent/sources/tasks/query";
import { newRecord, type TaskRecord } from "../../agent/sources/tasks/record";
import { applyEvent, applyMeta } from "../../agent/sources/tasks/record-merge";
import { literalPattern, SEP, TextStore } from "../../agent/sources/tasks/search";
import { TaskStore } from "../../agent/sources/tasks/store";
import { decodeCursor } from "../../agent/sources/tasks/cursor";
import { Symbols } from "../../agent/sources/tasks/symbols";
import { seededRandom } from "./helpers/random";
import { ev, heldTasks, meta, ms, referenceQuery, T0 } from "./helpers/task-inputs";

describe("OrderIndex", () => {
  /** Keys in plain arrays, the index over them, and a sorted reference to compare with. */
  function harness(n: number, seed: number) {
    const rnd = seededRandom(seed);
    const key = new Float64Array(n);
    const tie = new Float64Array(n);
    const state = new Uint8Array(n);
    const idx = new OrderIndex({ key: (s) => key[s]!, tie: (s) => tie[s]!, state: (s) => state[s]! });
    const present = new Set<number>();
    const reference = () => [...present].sort((a, b) => key[a]! - key[b]! || tie[a]! - tie[b]!);
    return { rnd, key, tie, state, idx, present, reference };
  }

  test("random inserts, removes, key and state changes keep it sorted, counted and walkable", () => {
    const h = harness(5000, 3);
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      const slot = Math.floor(h.rnd() * 5000);
      const r = h.rnd();
      if (!h.present.has(slot)) {
        // Few distinct keys: ties are common; mostly increasing, like arrival times.
        h.key[slot] = r < 0.7 ? 1000 + step / 10 : Math.floor(h.rnd() * 50) * 10;
        h.tie[slot] = ++seq;
        h.state[slot] = Math.floor(h.rnd() * STATE_COUNT);
        h.idx.insert(slot);
        h.present.add(slot);
      } else if (r < 0.4) {
        assert.equal(h.idx.remove(slot), true);
        h.present.delete(slot);
      } else if (r < 0.7) {
        h.idx.remove(slot);
        h.key[slot] = Math.floor(h.rnd() * 3000);
        h.idx.insert(slot);
      } else {
        const to = Math.floor(h.rnd() * STATE_COUNT);
        h.idx.changeState(slot, h.state[slot]!, to);
        h.state[slot] = to;
      }
      if (step % 2500 === 0) assert.equal(h.idx.check(), null, `step ${step}`);
    }
    assert.equal(h.idx.check(), null);
    assert.deepEqual(h.idx.slots(), h.reference());
    assert.equal(h.idx.size, h.present.size);
  });

  test("walk: both directions, key ranges, and starting after a cursor", () => {
    const h = harness(3000, 11);
    for (let s = 0; s < 3000; s++) {
      h.key[s] = Math.floor(h.rnd() * 300);
      h.tie[s] = s;
      h.state[s] = s % STATE_COUNT;
      h.idx.insert(s);
      h.present.add(s);
    }
    const all = h.reference();
    const walk = (dir: 1 | -1, lo: number, hi: number, after: { v: number; s: number } | null, max = Infinity) => {
      const out: number[] = [];
      h.idx.walk(dir, lo, hi, after, (slot) => out.push(slot) < max);
      return out;
    };
    assert.deepEqual(walk(1, -Infinity, Infinity, null), all);
    assert.deepEqual(walk(-1, -Infinity, Infinity, null), [...all].reverse());
    const inRange = all.filter((s) => h.key[s]! >= 100 && h.key[s]! <= 150);
    assert.deepEqual(walk(1, 100, 150, null), inRange);
    assert.deepEqual(walk(-1, 100, 150, null), [...inRange].reverse());
    for (const at of [0, 1, 500, 1499, 2998, 2999]) {
      const c = all[at]!;
      const after = { v: h.key[c]!, s: h.tie[c]! };
      assert.deepEqual(walk(1, -Infinity, Infinity, after), all.slice(at + 1), `asc after ${at}`);
      assert.deepEqual(walk(-1, -Infinity, Infinity, after), all.slice(0, at).reverse(), `desc after ${at}`);
      assert.deepEqual(
        walk(-1, 100, 150, after),
        all
          .slice(0, at)
          .filter((s) => h.key[s]! >= 100 && h.key[s]! <= 150)
          .reverse(),
      );
    }
    // A cursor between keys (its task gone) still positions right.
    assert.deepEqual(
      walk(1, -Infinity, Infinity, { v: 150.5, s: 0 }),
      all.filter((s) => h.key[s]! > 150.5),
    );
    assert.deepEqual(walk(-1, -Infinity, Infinity, { v: 150.5, s: 0 }), all.filter((s) => h.key[s]! < 150.5).reverse());
    assert.deepEqual(walk(-1, -Infinity, Infinity, null, 5), [...all].reverse().slice(0, 5), "stops when told");
  });

  test("countFrom and countRange agree with counting by hand", () => {
    const h = harness(4000, 5);
    for (let s = 0; s < 4000; s++) {
      h.key[s] = Math.floor(h.rnd() * 1000);
      h.tie[s] = s;
      h.state[s] = Math.floor(h.rnd() * STATE_COUNT);
      h.idx.insert(s);
      h.present.add(s);
    }
    for (const from of [-1, 0, 1, 250, 500.5, 999, 1000, 5000]) {
      const want = new Int32Array(STATE_COUNT);
      for (const s of h.present) if (h.key[s]! >= from) want[h.state[s]!]!++;
      assert.deepEqual([...h.idx.countFrom(from)], [...want], `from ${from}`);
    }
    for (const [lo, hi] of [
      [0, 999],
      [100, 100],
      [100, 200],
      [-Infinity, 10],
      [990, Infinity],
      [2000, 3000],
    ] as const) {
      const want = [...h.present].filter((s) => h.key[s]! >= lo && h.key[s]! <= hi).length;
      assert.equal(h.idx.countRange(lo, hi), want, `${lo}..${hi}`);
    }
  });

  test("emptied completely and refilled", () => {
    const h = harness(2000, 9);
    for (let round = 0; round < 2; round++) {
      for (let s = 0; s < 2000; s++) {
        h.key[s] = s;
        h.tie[s] = s;
        h.idx.insert(s);
      }
      for (let s = 0; s < 2000; s++) h.idx.remove(s);
      assert.equal(h.idx.size, 0);
      assert.equal(h.idx.check(), null);
      assert.deepEqual([...h.idx.countFrom(-Infinity)], new Array(STATE_COUNT).fill(0));
    }
  });
});

describe("IdTable", () => {
  test("agrees with a Map through inserts, deletes and growth", () => {
    const ids: (string | undefined)[] = [];
    const table = new IdTable((slot) => ids[slot]);
    const ref = new Map<string, number>();
    const rnd = seededRandom(17);
    const free: number[] = [];
    for (let step = 0; step < 60_000; step++) {
      const id = `id-${Math.floor(rnd() * 20_000)}`;
      const had = ref.get(id);
      if (had === undefined) {
        const slot = free.pop() ?? ids.length;
        ids[slot] = id;
        table.set(id, slot);
        ref.set(id, slot);
      } else if (rnd() < 0.5) {
        assert.equal(table.delete(id), true);
        ids[had] = undefined;
        free.push(had);
        ref.delete(id);
      }
      if (step % 5000 === 0) for (const [k, v] of ref) assert.equal(table.get(k), v);
    }
    assert.equal(table.size, ref.size);
    for (const [k, v] of ref) assert.equal(table.get(k), v);
    assert.equal(table.get("id-nope"), undefined);
    assert.equal(table.delete("id-nope"), false);
  });
});

describe("Symbols", () => {
  test("interns with reference counts and forgets unused values", () => {
    const s = new Symbols();
    assert.equal(s.acquire(null), 0);
    const a = s.acquire("app.add");
    assert.equal(s.acquire("app.add"), a);
    const b = s.acquire("app.mul");
    assert.notEqual(a, b);
    assert.equal(s.count(a), 2);
    assert.deepEqual(Object.fromEntries(s.counts()), { "app.add": 2, "app.mul": 1 });
    s.release(b);
    assert.equal(s.idOf("app.mul"), undefined);
    assert.equal(s.value(b), null);
    const c = s.acquire("app.div");
    assert.equal(c, b, "a freed id is reused");
    assert.equal(s.value(c), "app.div");
    s.release(a);
    assert.equal(s.value(a), "app.add");
    const m = s.matching((v) => v.includes("div"))!;
    assert.equal(m[c], 1);
    assert.equal(m[a], 0);
  });
});

describe("TextStore", () => {
  // Texts as pack.ts writes them: a header up to ';', then the searchable body.
  const packed = (body: string) => `jj-e1,1,1;${body}`;

  test("keeps texts in blocks, finds them case-insensitively, never in headers or across fields", () => {
    const store = new TextStore();
    const texts = new Map<number, string>();
    const put = (slot: number, body: string) => {
      texts.set(slot, packed(body));
      store.set(slot, packed(body));
    };
    put(0, `Alpha${SEP}BRAVO`);
    put(2, `charlie${SEP}x.y*z`);
    put(3, "bravo");
    for (let i = 4; i < 3000; i++) put(i, i % 1000 === 7 ? `needle-${i}` : `hay-${i}`);
    const run = (q: string) => {
      const hits = new Uint8Array(3000);
      const n = store.find(literalPattern(q), hits);
      const slots = [...hits.keys()].filter((i) => hits[i]);
      assert.equal(n, slots.length);
      return slots;
    };
    assert.deepEqual(run("bravo"), [0, 3]);
    assert.deepEqual(run("alphabravo"), [], "not across fields");
    assert.deepEqual(run("jj-e"), [], "not in the header");
    assert.deepEqual(run("1,1"), []);
    assert.deepEqual(run("x.y*z"), [2], "a literal, not a pattern");
    assert.deepEqual(run("x.y"), [2]);
    assert.deepEqual(run("needle"), [7, 1007, 2007]);
    assert.deepEqual(run("hay-2999"), [2999]);
    for (const [slot, t] of texts) assert.equal(store.get(slot), t);
    // Changes: a slot deleted, replaced, and many replaced (blocks rebuilt on the way).
    store.delete(1007);
    texts.delete(1007);
    assert.deepEqual(run("needle"), [7, 2007]);
    put(1, "NEEDLE");
    assert.deepEqual(run("needle"), [1, 7, 2007]);
    for (let i = 1000; i < 1500; i++) put(i, `moved-${i}`);
    for (let i = 1500; i < 1600; i++) {
      store.delete(i);
      texts.delete(i);
    }
    assert.deepEqual(run("moved-1499"), [1499]);
    assert.deepEqual(run("hay-1550"), []);
    assert.deepEqual(run("hay-1650"), [1650]);
    for (let i = 0; i < 3000; i++) assert.equal(store.get(i), texts.get(i), `slot ${i}`);
  });
});

describe("packed tasks", () => {
  function lived(): TaskRecord[] {
    const out: TaskRecord[] = [];
    let t = newRecord("aaaaaaaa-0000-4000-8000-000000000001", 7, ms(T0));
    applyEvent(t, ev("task-received", t.id, T0, { name: "app.add", args: "(2, 'x')", kwargs: "{'k': 1}", root_id: t.id, queue: "celery", retries: 0 }));
    applyEvent(t, ev("task-started", t.id, T0 + 1));
    applyEvent(t, ev("task-succeeded", t.id, T0 + 2, { result: "'ok'", runtime: 1.5 }));
    applyMeta(t, meta(t.id, "SUCCESS", { result: { a: [1, "é", null] }, dateDone: ms(T0 + 2), args: [2, "x"], kwargs: { k: 1 }, worker: "w1@vm" }));
    out.push(t);
    t = newRecord("b2", 8, ms(T0));
    applyMeta(
      t,
      meta("b2", "FAILURE", {
        result: { exc_type: "ValueError", exc_message: ['bad\u0001"x"'], exc_module: "builtins" },
        traceback: "Traceback...\nValueError: bad",
        dateDone: ms(T0 + 3),
        name: "app.fail",
        worker: "w2@vm",
        parentId: "aaaaaaaa-0000-4000-8000-000000000001",
        rootId: "r0",
        children: [[["c1", null], null]],
      }),
    );
    out.push(t);
    t = newRecord("c3", 9, ms(T0));
    applyMeta(t, meta("c3", "STARTED", { result: { pid: 4, hostname: "solo@vm" } }));
    out.push(t);
    t = newRecord("d4", 10, ms(T0));
    applyEvent(
      t,
      ev(
        "task-sent",
        "d4",
        T0,
        { name: "app.slow", eta: "2026-11-24T00:00:00+00:00", expires: "2026-11-25T00:00:00+00:00", exchange: "media", routing_key: "media.encode" },
        "web@host",
      ),
    );
    out.push(t);
    out.push(newRecord("e5", 11, ms(T0)));
    return out;
  }

  test("unpack(pack(t)) gives back the same record (columns copied as the store keeps them)", () => {
    for (const t of lived()) {
      const copy = newRecord(t.id, t.seq, t.firstSeen);
      for (const k of [
        "name",
        "state",
        "stateAt",
        "sent",
        "received",
        "started",
        "finished",
        "runtime",
        "worker",
        "queue",
        "queueSource",
        "exchange",
        "routingKey",
        "priority",
        "retries",
        "excType",
        "excModule",
        "traceback",
        "fromEvents",
        "fromBackend",
      ] as const) {
        (copy as unknown as Record<string, unknown>)[k] = t[k];
      }
      Object.assign(copy, unpackText(packText(t)));
      const { rest, flags } = packRest(t);
      unpackRest(copy, rest, flags);
      assert.deepEqual(copy, t, t.id);
    }
  });

  test("a task seen once in the backend packs to almost nothing besides its values", () => {
    const t = newRecord("f6", 1, ms(T0));
    applyMeta(t, meta("f6", "SUCCESS", { result: 3, dateDone: ms(T0 + 1), args: [1, 2], kwargs: {}, worker: "w1@vm", rootId: "f6" }));
    assert.equal(packText(t), "jjj-5,2,1;[1,2]\0{}\x003\0");
    assert.deepEqual(packRest(t), { rest: undefined, flags: 3 });
  });
});

describe("TaskStore with every task packed agrees with the store holding them as objects", () => {
  const STATES: TaskState[] = ["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"];

  /** The same random history into both stores. */
  function twins(seed: number, n: number, max = 10_000): [TaskStore, TaskStore] {
    const hot = new TaskStore(max, { finished: 1e9, unfinished: 1e9 });
    const cold = new TaskStore(max, { finished: 0, unfinished: 0 });
    const rnd = seededRandom(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    for (let i = 0; i < n; i++) {
      const id = `t-${Math.floor(rnd() * n * 0.7)}`; // some ids come back: updates of packed tasks
      const at = T0 + Math.floor(rnd() * 50);
      const r = rnd();
      const name = pick(["app.a", "app.b", "App.C"]);
      const worker = pick(["w1@vm", "w2@vm", "solo@vm"]);
      const type = pick(["task-sent", "task-received", "task-started", "task-succeeded", "task-failed", "task-retried", "task-revoked", "task-rejected"]);
      const queue = pick(["celery", "high"]);
      const status = pick(["STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"]);
      const notify = rnd() < 0.5;
      const apply = (s: TaskStore) => {
        if (r < 0.5) {
          s.applyEvent(
            ev(
              type,
              id,
              at,
              {
                name,
                args: `(${i}, 'Q${i % 17}')`,
                kwargs: "{}",
                queue,
                parent_id: i % 5 ? null : `t-${i % 7}`,
                result: `'Res ${i}'`,
                exception: `ValueError('E${i % 13}')`,
                runtime: (i % 9) / 4,
                retries: i % 300,
              },
              worker,
            ),
          );
        } else {
          s.applyMeta(
            meta(id, status, {
              name,
              worker,
              args: [i, { k: `V${i % 11}` }],
              kwargs: { x: i % 3 },
              dateDone: status === "STARTED" ? null : ms(at + 1),
              seenAt: ms(at),
              result:
                status === "SUCCESS"
                  ? { n: i }
                  : status === "STARTED"
                    ? { pid: 1, hostname: worker }
                    : { exc_type: "KeyError", exc_message: [`m${i % 5}`], exc_module: "builtins" },
              traceback: status === "FAILURE" ? `Traceback\nKeyError: m${i % 5}` : null,
              rootId: id,
              parentId: i % 6 ? null : `t-${i % 4}`,
            }),
            notify,
          );
        }
      };
      apply(hot);
      apply(cold);
    }
    return [hot, cold];
  }

  const plain = (t: TaskRecord) => JSON.parse(JSON.stringify(t)) as unknown;

  const reference = (s: TaskStore, f: TaskFilter, sort: TaskSort) => referenceQuery(heldTasks(s), f, sort);

  test("same records, counts, facets, children", () => {
    const [hot, cold] = twins(21, 3000);
    assert.equal(cold.size, hot.size);
    assert.deepEqual(heldTasks(cold).map(plain), heldTasks(hot).map(plain));
    for (const t of heldTasks(hot)) assert.deepEqual(plain(cold.get(t.id)!), plain(t));
    assert.deepEqual(Object.fromEntries(cold.countByState()), Object.fromEntries(hot.countByState()));
    for (const f of ["name", "worker", "queue"] as const) assert.deepEqual(Object.fromEntries(cold.facet(f)), Object.fromEntries(hot.facet(f)), f);
    for (const s of STATES) assert.deepEqual([...cold.inState(s)].map((t) => t.id).sort(), [...hot.inState(s)].map((t) => t.id).sort(), s);
    for (let i = 0; i < 7; i++) assert.deepEqual(cold.childrenOf(`t-${i}`).sort(), hot.childrenOf(`t-${i}`).sort());
    assert.deepEqual(cold.countByStateSince(ms(T0 + 25)), hot.countByStateSince(ms(T0 + 25)));
  });

  test("same pages for every sort, filter and search, through every cursor", () => {
    const [hot, cold] = twins(33, 2500);
    const rnd = seededRandom(5);
    const filters: TaskFilter[] = [
      {},
      { states: ["SUCCESS", "FAILURE"] },
      { name: "app.b" },
      { worker: "w2@vm", queue: "high" },
      { states: ["STARTED"], name: "app.a" },
      { q: "q3" },
      { q: "res 1" },
      { q: "e1" },
      { q: "app.c" },
      { q: '"k":"v7"' },
      { q: "t-12" },
      { q: "v1", states: ["SUCCESS"] },
      { since: ms(T0 + 10), until: ms(T0 + 30) },
      { since: ms(T0 + 40), states: ["FAILURE", "RETRY"] },
      { name: "nope" },
      { q: "no such text" },
    ];
    for (const by of ["received", "started", "finished", "runtime"] as const) {
      for (const order of ["asc", "desc"] as const) {
        for (const f of filters) {
          const sort: TaskSort = { by, order };
          const walk = (s: TaskStore) => {
            const got: string[] = [];
            const totals = new Set<number>();
            let cursor = null;
            for (let guard = 0; guard < 500; guard++) {
              const p = s.query(f, sort, 1 + Math.floor(rnd() * 40), cursor);
              totals.add(p.total);
              got.push(...p.tasks.map((t) => t.id));
              if (!p.nextCursor) break;
              cursor = decodeCursor(p.nextCursor);
            }
            assert.equal(totals.size, 1, "total is the same on every page");
            assert.equal(new Set(got).size, got.length, "no task twice");
            return { got, total: [...totals][0]! };
          };
          const a = walk(hot);
          const b = walk(cold);
          assert.deepEqual(b, a, `${by} ${order} ${JSON.stringify(f)}`);
          assert.deepEqual(a.got, reference(hot, f, sort), `${by} ${order} ${JSON.stringify(f)}: as a plain filter and sort would list them`);
        }
      }
    }
  });

  test("a search matching thousands pages through the time index like any filter", () => {
    const [hot, cold] = twins(44, 9000);
    const f0 = { q: "app" };
    assert.ok(reference(hot, f0, { by: "received", order: "asc" }).length > 4096, "more matches than are sorted directly");
    for (const f of [f0, { q: "app", states: ["SUCCESS", "FAILURE"] as TaskState[] }, { q: "v" }]) {
      for (const order of ["asc", "desc"] as const) {
        const sort: TaskSort = { by: "received", order };
        const want = reference(hot, f, sort);
        for (const s of [hot, cold]) {
          const got: string[] = [];
          let cursor = null;
          for (let guard = 0; guard < 100; guard++) {
            const p = s.query(f, sort, 500, cursor);
            assert.equal(p.total, want.length);
            got.push(...p.tasks.map((t) => t.id));
            if (!p.nextCursor) break;
            cursor = decodeCursor(p.nextCursor);
          }
          assert.deepEqual(got, want, `${JSON.stringify(f)} ${order}`);
        }
      }
    }
  });

  test("eviction keeps the bound the same way packed or not", () => {
    const [hot, cold] = twins(8, 4000, 300);
    assert.equal(hot.size, 300);
    assert.deepEqual(heldTasks(cold).map(plain), heldTasks(hot).map(plain));
    assert.deepEqual(Object.fromEntries(cold.countByState()), Object.fromEntries(hot.countByState()));
  });
});
