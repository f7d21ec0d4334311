// A beat entry's runs from the tasks seen (sources/periodic/runs.ts, the store's eachNamed), and the
// verdict on beat from its entries' expected and observed runs (sources/periodic/beat-check.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { checkBeat, toleranceMs, type Expectation } from "../../agent/sources/periodic/beat-check";
import { parsePythonLiteral } from "../../agent/sources/periodic/python-literal";
import { runsSeen, type EntrySignature } from "../../agent/sources/periodic/runs";
import { TaskStore } from "../../agent/sources/tasks/store";
import { ev, meta, ms, T0 } from "./helpers/task-inputs";

describe("parsePythonLiteral (what Celery prints as argsrepr/kwargsrepr)", () => {
  test("reads lists, tuples, dicts, strings, numbers, None, True and False", () => {
    assert.deepEqual(parsePythonLiteral("[7]"), [7]);
    assert.deepEqual(parsePythonLiteral("(1, 2)"), [1, 2]);
    assert.deepEqual(parsePythonLiteral("(1,)"), [1]);
    assert.deepEqual(parsePythonLiteral("()"), []);
    assert.deepEqual(parsePythonLiteral(`{'quality': 'thumbnail', "n": None, 'ok': True, 'no': False}`), {
      quality: "thumbnail",
      n: null,
      ok: true,
      no: false,
    });
    assert.deepEqual(parsePythonLiteral(`['it\\'s', "a\\nb", '\\x41\\u00e9']`), ["it's", "a\nb", "Aé"]);
    assert.deepEqual(parsePythonLiteral("[1.5, -2e3, 1.0]"), [1.5, -2000, 1]);
    assert.deepEqual(parsePythonLiteral("{'nested': [(1, 2), {'a': []}]}"), { nested: [[1, 2], { a: [] }] });
  });

  test("anything that is not such a literal is undefined, never a guess", () => {
    for (const text of ["{1, 2}", "<object object at 0x7f>", "[1, 2, '...", "datetime.datetime(2026, 1, 1)", "[1] [2]", "", "{'a' 1}"]) {
      assert.equal(parsePythonLiteral(text), undefined, text);
    }
  });
});

/** A task sent by beat and run by a worker, as events tell it (seconds since the epoch). */
function run(s: TaskStore, id: string, at: number, name: string, args: string, kwargs: string, queue = "celery"): void {
  s.applyEvent(ev("task-sent", id, at, { name, args, kwargs, queue }, "beat@host"));
  s.applyEvent(ev("task-received", id, at + 0.05, { name, args, kwargs }));
  s.applyEvent(ev("task-succeeded", id, at + 0.1, { result: "None", runtime: 0.01 }));
}

const thumbnails: EntrySignature = {
  name: "thumbnails-every-10s",
  task: "panel_fixture.encode_video",
  args: [7],
  kwargs: { quality: "thumbnail" },
  queue: null,
};
const nightly: EntrySignature = { name: "nightly-report", task: "panel_fixture.report", args: [], kwargs: { kind: "nightly" }, queue: "celery" };
const weekday: EntrySignature = { name: "weekday-digest", task: "panel_fixture.report", args: undefined, kwargs: undefined, queue: null };

for (const [label, hot] of [
  ["held as records", {}],
  ["packed", { finished: 0 }],
] as const) {
  describe(`runsSeen, tasks ${label}`, () => {
    const store = () => new TaskStore(1000, hot);
    const seen = (s: TaskStore, entries: EntrySignature[], max?: number) => runsSeen(entries, (task, visit) => s.eachNamed(task, visit), max);

    test("counts the tasks with the entry's name and arguments, and gives the latest one's send time", () => {
      const s = store();
      run(s, "a1", T0, "panel_fixture.encode_video", "[7]", "{'quality': 'thumbnail'}");
      run(s, "a2", T0 + 10, "panel_fixture.encode_video", "[7]", "{'quality': 'thumbnail'}");
      run(s, "a3", T0 + 20, "panel_fixture.encode_video", "[7]", "{'quality': 'thumbnail'}");
      // Sent by hand, later, with other arguments: not a run of the entry.
      run(s, "manual", T0 + 25, "panel_fixture.encode_video", "[8]", "{'quality': 'hd'}");
      run(s, "other", T0 + 26, "panel_fixture.add", "[7]", "{}");
      const r = seen(s, [thumbnails]).get(thumbnails.name);
      assert.deepEqual(r, { lastRun: ms(T0 + 20), lastTaskId: "a3", count: 3, capped: false });
    });

    test("entries of one task are told apart by their arguments and queue", () => {
      const s = store();
      run(s, "n1", T0, "panel_fixture.report", "[]", "{'kind': 'nightly'}");
      run(s, "w1", T0 + 1, "panel_fixture.report", "[]", "{}");
      run(s, "w2", T0 + 2, "panel_fixture.report", "()", "{}");
      // The nightly entry's arguments on another queue: not its run (it names the celery queue).
      run(s, "elsewhere", T0 + 3, "panel_fixture.report", "[]", "{'kind': 'nightly'}", "audit");
      const r = seen(s, [nightly, weekday]);
      assert.equal(r.get(nightly.name)?.count, 1);
      assert.equal(r.get(nightly.name)?.lastTaskId, "n1");
      assert.equal(r.get(weekday.name)?.count, 2);
      assert.equal(r.get(weekday.name)?.lastTaskId, "w2");
    });

    test("a task known only from the result backend (JSON args) counts; one whose args are unknown counts when one entry is possible", () => {
      const s = store();
      s.applyMeta(meta("b1", "SUCCESS", { name: "panel_fixture.encode_video", args: [7], kwargs: { quality: "thumbnail" }, dateDone: ms(T0 + 1) }));
      s.applyEvent(ev("task-received", "e1", T0 + 5, { name: "panel_fixture.encode_video", args: "<truncated ...", kwargs: "{'quality': 'thumbnail'}" }));
      const r = seen(s, [thumbnails]).get(thumbnails.name);
      assert.equal(r?.count, 2);
      assert.equal(r?.lastTaskId, "e1");
      // With two entries of the task, an unreadable task is nobody's.
      const other = { ...thumbnails, name: "other", args: [9] };
      assert.equal(seen(s, [thumbnails, other]).get(thumbnails.name)?.count, 1);
    });

    test("looks at a bounded number of tasks per name and says so", () => {
      const s = store();
      for (let i = 0; i < 30; i++) run(s, `t${i}`, T0 + i, "panel_fixture.encode_video", "[7]", "{'quality': 'thumbnail'}");
      const r = seen(s, [thumbnails], 10).get(thumbnails.name);
      assert.deepEqual(r, { lastRun: ms(T0 + 29), lastTaskId: "t29", count: 10, capped: true });
    });

    test("an unknown task name has no runs", () => {
      assert.equal(seen(store(), [thumbnails]).size, 0);
    });
  });
}

describe("checkBeat: is beat alive, from its entries", () => {
  const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
  const started = NOW - 3600_000;
  const every = (name: string, seconds: number, lastRun: number | null, active = true): Expectation => ({
    name,
    schedule: seconds,
    timeZone: "UTC",
    lastRun,
    active,
  });

  test("the tolerance grows with the period, within bounds", () => {
    assert.equal(toleranceMs(10_000), 11_000);
    assert.equal(toleranceMs(3600_000), 310_000);
  });

  test("alive: an interval entry ran within its interval; its next run is last run + interval", () => {
    const { verdict, entries } = checkBeat([every("tick", 10, NOW - 5_000)], NOW, started);
    assert.equal(verdict.status, "alive");
    assert.equal(verdict.detail, "entry tick ran 5 s ago as scheduled");
    assert.equal(verdict.entry, "tick");
    assert.deepEqual(entries.get("tick"), { due: NOW + 5_000, missed: null });
  });

  test("still alive a little past due (within the tolerance)", () => {
    assert.equal(checkBeat([every("tick", 10, NOW - 19_000)], NOW, started).verdict.status, "alive");
  });

  test("late: the entry was due well past the tolerance and nothing was seen since", () => {
    const { verdict, entries } = checkBeat([every("tick", 10, NOW - 60_000), every("hourly", 3600, NOW - 65_000)], NOW, started);
    assert.equal(verdict.status, "late");
    assert.equal(verdict.entry, "tick");
    assert.equal(verdict.detail, "entry tick was due 50 s ago and nothing was seen since its last run 1 min ago");
    assert.equal(entries.get("tick")?.missed, NOW - 50_000);
    assert.equal(entries.get("hourly")?.missed, null);
  });

  test("late names the run seen last when it is another entry", () => {
    const { verdict } = checkBeat([every("tick", 10, NOW - 60_000), every("hourly", 3600, NOW - 55_000)], NOW, started);
    assert.equal(verdict.status, "late");
    assert.equal(verdict.detail, "entry tick was due 50 s ago and nothing was seen since entry hourly ran 55 s ago");
    assert.equal(verdict.lastRun, NOW - 55_000);
  });

  test("an entry missed while others ran later is that entry's problem: beat is alive", () => {
    const { verdict, entries } = checkBeat([every("tick", 10, NOW - 3_000), every("broken", 60, NOW - 600_000), every("never", 30, null)], NOW, started);
    assert.equal(verdict.status, "alive");
    assert.match(
      verdict.detail,
      /^entry tick ran 3 s ago as scheduled; not seen although beat sent others later: entry never was due 60 min ago; entry broken was due 9 min ago$/,
    );
    assert.equal(entries.get("broken")?.missed, NOW - 540_000);
    assert.equal(entries.get("never")?.missed, started + 30_000);
  });

  test("unknown: nothing has been seen since the agent started, whether or not something was due", () => {
    const just = checkBeat([every("tick", 10, null)], NOW, NOW - 2_000).verdict;
    assert.equal(just.status, "unknown");
    assert.equal(just.detail, "no entry has run since the agent started 2 s ago (nor in the tasks it read back)");
    const long = checkBeat([every("tick", 10, null)], NOW, started).verdict;
    assert.equal(long.status, "unknown");
    assert.match(long.detail, /entry tick was due 60 min ago: is beat running/);
  });

  test("unknown without enabled entries; disabled entries expect nothing", () => {
    assert.equal(checkBeat([], NOW, started).verdict.detail, "no periodic entry");
    const { verdict, entries } = checkBeat([every("off", 10, NOW - 600_000, false)], NOW, started);
    assert.equal(verdict.status, "unknown");
    assert.deepEqual(entries.get("off"), { due: null, missed: null });
  });

  test("crontab: the next fire after the last run, even when that run was stamped a moment before its fire time", () => {
    const everyMinute = (lastRun: number): Expectation => ({
      name: "cron",
      schedule: "<crontab: * * * * * (m/h/d/dM/MY)>",
      timeZone: "UTC",
      lastRun,
      active: true,
    });
    // Ran at 11:59:00 by a worker clock 200 ms behind: the next fire is 12:00:00, not 11:59:00 again.
    const last = NOW - 60_000 - 200;
    const onTime = checkBeat([everyMinute(last)], NOW + 5_000, started);
    assert.equal(onTime.verdict.status, "alive");
    assert.equal(onTime.entries.get("cron")?.due, NOW);
    const late = checkBeat([everyMinute(last)], NOW + 30_000, started);
    assert.equal(late.verdict.status, "late");
    assert.equal(late.entries.get("cron")?.missed, NOW);
  });

  test("a clocked entry (one run) and an unreadable schedule expect nothing", () => {
    const { entries } = checkBeat(
      [
        { name: "once", schedule: "<clocked: 2026-01-01 00:00:00+00:00>", timeZone: "UTC", lastRun: null, active: true },
        { name: "bad", schedule: "nonsense", timeZone: "UTC", lastRun: null, active: true },
      ],
      NOW,
      started,
    );
    assert.deepEqual(entries.get("once"), { due: null, missed: null });
    assert.deepEqual(entries.get("bad"), { due: null, missed: null });
  });
});
