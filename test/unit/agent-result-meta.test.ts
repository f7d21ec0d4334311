// The result backend's records: parseTaskMeta, parseCeleryDate, childIds (agent/protocol/result-meta.ts).
// JSON shapes are what Celery 5.2's Redis backend stores with result_extended on.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { childIds, parseCeleryDate, parseTaskMeta } from "../../agent/protocol/result-meta";

const ID = "d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e";
const SEEN = 1795558030000;
/** 2026-11-24T22:07:00.636993 naive UTC, in ms (microseconds truncated). */
const DONE_MS = Date.UTC(2026, 10, 24, 22, 7, 0, 636);

describe("parseTaskMeta", () => {
  test("STARTED (task_track_started): {pid, hostname} result, no date", () => {
    const raw = `{"status": "STARTED", "result": {"pid": 7514, "hostname": "solo1@vm"}, "traceback": null, "children": [], "date_done": null, "name": "panel_fixture.add", "args": [2, 3], "kwargs": {}, "worker": "solo1@vm", "retries": 0, "queue": "celery", "task_id": "${ID}"}`;
    assert.deepEqual(parseTaskMeta(raw, SEEN), {
      taskId: ID,
      status: "STARTED",
      result: { pid: 7514, hostname: "solo1@vm" },
      traceback: null,
      children: [],
      dateDone: null,
      name: "panel_fixture.add",
      args: [2, 3],
      kwargs: {},
      worker: "solo1@vm",
      retries: 0,
      queue: "celery",
      parentId: null,
      rootId: null,
      seenAt: SEEN,
    });
  });

  test("SUCCESS: result value and date_done (naive UTC with microseconds)", () => {
    const raw = `{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-11-24T22:07:00.636993", "name": "panel_fixture.add", "args": [2, 3], "kwargs": {}, "worker": "solo1@vm", "retries": 0, "queue": "celery", "task_id": "${ID}"}`;
    const m = parseTaskMeta(raw, SEEN)!;
    assert.equal(m.status, "SUCCESS");
    assert.equal(m.result, 5);
    assert.equal(m.dateDone, DONE_MS);
    assert.equal(m.worker, "solo1@vm");
    assert.deepEqual(m.args, [2, 3]);
  });

  test("FAILURE: exception dict as result, traceback kept", () => {
    const tb = 'Traceback (most recent call last):\n  File "/app/panel_fixture.py", line 30, in fail\n    raise ValueError("boom")\nValueError: boom\n';
    const raw = JSON.stringify({
      status: "FAILURE",
      result: { exc_type: "ValueError", exc_message: ["boom"], exc_module: "builtins" },
      traceback: tb,
      children: [],
      date_done: "2026-11-24T22:07:00.636993",
      name: "panel_fixture.fail",
      args: [],
      kwargs: { why: "boom" },
      worker: "w1@vm",
      retries: 0,
      queue: "celery",
      task_id: ID,
      parent_id: "aaaaaaaa-0000-4000-8000-000000000001",
      root_id: "aaaaaaaa-0000-4000-8000-000000000000",
    });
    const m = parseTaskMeta(raw, SEEN)!;
    assert.equal(m.status, "FAILURE");
    assert.deepEqual(m.result, { exc_type: "ValueError", exc_message: ["boom"], exc_module: "builtins" });
    assert.equal(m.traceback, tb);
    assert.equal(m.dateDone, DONE_MS);
    assert.deepEqual(m.kwargs, { why: "boom" });
    assert.equal(m.parentId, "aaaaaaaa-0000-4000-8000-000000000001");
    assert.equal(m.rootId, "aaaaaaaa-0000-4000-8000-000000000000");
  });

  test("RETRY: Retry exception as result, retries count", () => {
    const raw = JSON.stringify({
      status: "RETRY",
      result: { exc_type: "Retry", exc_message: ["Retry in 5s"], exc_module: "celery.exceptions" },
      traceback: "Traceback ...\ncelery.exceptions.Retry: Retry in 5s\n",
      children: [],
      date_done: null,
      name: "panel_fixture.flaky",
      args: [1],
      kwargs: {},
      worker: "w1@vm",
      retries: 2,
      queue: "celery",
      task_id: ID,
    });
    const m = parseTaskMeta(raw, SEEN)!;
    assert.equal(m.status, "RETRY");
    assert.equal(m.retries, 2);
    assert.equal(m.dateDone, null);
    assert.equal((m.result as { exc_type: string }).exc_type, "Retry");
  });

  test("without result_extended: name/args/worker/... are null", () => {
    const m = parseTaskMeta(
      `{"status": "SUCCESS", "result": null, "traceback": null, "children": [], "date_done": "2026-11-24T22:07:00.636993", "task_id": "${ID}"}`,
      SEEN,
    )!;
    assert.deepEqual(
      [m.name, m.args, m.kwargs, m.worker, m.retries, m.queue, m.result, m.parentId, m.rootId],
      [null, null, null, null, null, null, null, null, null],
    );
  });

  test('falsy results are kept as they are (0, false, "")', () => {
    for (const v of [0, false, ""]) {
      const m = parseTaskMeta(JSON.stringify({ status: "SUCCESS", result: v, task_id: ID }), SEEN)!;
      assert.equal(m.result, v);
    }
  });

  test("task_id wins over the fallback id; the fallback fills a missing one", () => {
    assert.equal(parseTaskMeta(`{"status": "SUCCESS", "task_id": "${ID}"}`, SEEN, "from-key")!.taskId, ID);
    assert.equal(parseTaskMeta('{"status": "SUCCESS"}', SEEN, "from-key")!.taskId, "from-key");
  });

  test("odd field types are dropped, not trusted", () => {
    const m = parseTaskMeta(
      JSON.stringify({ status: "SUCCESS", task_id: ID, children: "x", traceback: 5, retries: "1", worker: ["w"], date_done: 12345 }),
      SEEN,
    )!;
    assert.deepEqual(m.children, []);
    assert.equal(m.traceback, null);
    assert.equal(m.retries, null);
    assert.equal(m.worker, null);
    assert.equal(m.dateDone, null);
  });

  test("garbage -> null", () => {
    const deep = "[".repeat(100) + "]".repeat(100);
    for (const raw of [
      "",
      "not json",
      "[]",
      "null",
      '"SUCCESS"',
      '{"status": "SUCCESS"',
      '{"status": "SUCCESS"}',
      `{"task_id": "${ID}"}`,
      `{"task_id": "${ID}", "status": 1}`,
      `{"task_id": "", "status": "SUCCESS"}`,
      `{"task_id": "${ID}", "status": "SUCCESS", "result": ${deep}}`,
    ]) {
      assert.equal(parseTaskMeta(raw, SEEN), null, raw.slice(0, 60));
    }
  });
});

describe("parseCeleryDate", () => {
  // Naive dates must not be read in the machine's zone: run these in one that is not UTC.
  let tz: string | undefined;
  before(() => {
    tz = process.env.TZ;
    process.env.TZ = "America/New_York";
  });
  after(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  test("(the zone really is not UTC here)", () => {
    assert.notEqual(new Date(Date.UTC(2026, 10, 24)).getTimezoneOffset(), 0);
  });

  test("naive ISO dates are UTC (Celery 5.2 writes utcnow().isoformat())", () => {
    assert.equal(parseCeleryDate("2026-11-24T22:07:00.636993"), DONE_MS);
    assert.equal(parseCeleryDate("2026-11-24T22:07:00"), Date.UTC(2026, 10, 24, 22, 7, 0));
  });

  test("dates with an offset or Z are read with it", () => {
    assert.equal(parseCeleryDate("2026-11-24T22:07:00.636993+00:00"), DONE_MS);
    assert.equal(parseCeleryDate("2026-11-24T23:07:00.636993+01:00"), DONE_MS);
    assert.equal(parseCeleryDate("2026-11-24T17:07:00.636993-05:00"), DONE_MS);
    assert.equal(parseCeleryDate("2026-11-24T22:07:00.636993Z"), DONE_MS);
    assert.equal(parseCeleryDate("2026-11-24T22:07:00+0000"), Date.UTC(2026, 10, 24, 22, 7, 0));
  });

  test("non-dates -> null", () => {
    for (const v of [null, undefined, "", "yesterday", 1795558020, {}, "2026-13-45T99:99:99"]) assert.equal(parseCeleryDate(v), null, String(v));
  });
});

describe("childIds", () => {
  test("Celery's AsyncResult.as_tuple() form: [[id, parent], null]", () => {
    assert.deepEqual(
      childIds([
        [["c1", null], null],
        [["c2", null], null],
      ]),
      ["c1", "c2"],
    );
  });

  test("with the parent tuple nested inside: [[id, [parent_id, null]], null]", () => {
    assert.deepEqual(childIds([[["c1", ["p1", null]], null]]), ["c1"]);
  });

  test("plain ids and [id, parent] pairs", () => {
    assert.deepEqual(childIds(["c1", ["c2", null]]), ["c1", "c2"]);
  });

  test("unrecognised entries are skipped", () => {
    assert.deepEqual(childIds([null, 5, [], [[]], [[5, null], null], { id: "x" }, "c9"]), ["c9"]);
    assert.deepEqual(childIds([]), []);
  });

  test("a group child ((group_id, parent), [member tuples]) yields the member task ids", () => {
    const group = [
      ["g1", null],
      [
        [["m1", null], null],
        [["m2", null], null],
      ],
    ];
    const ids = childIds([[["c1", null], null], group]);
    assert.ok(ids.includes("c1"));
    assert.ok(ids.includes("m1") && ids.includes("m2"), `got ${JSON.stringify(ids)}`);
  });
});
