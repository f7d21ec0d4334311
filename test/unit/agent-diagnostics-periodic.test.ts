// The periodic rules (agent/sources/diagnostics/periodic.ts) on constructed periodic facts: beat
// silent, a run missed while beat sends others, a disabled entry, a crontab that never fires.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { computeSchedule } from "../../agent/sources/periodic";
import { periodicFindings } from "../../agent/sources/diagnostics/periodic";
import type { PeriodicEntryFacts, PeriodicFacts } from "../../agent/sources/diagnostics/snapshot";
import { NOW, snapshot } from "./helpers/diagnostics";

const kinds = (fs: { kind: string; subject: { id: string } }[]) => fs.map((f) => `${f.kind}:${f.subject.id}`);
const MIN = 60_000;

function entry(name: string, over: Partial<PeriodicEntryFacts> = {}): PeriodicEntryFacts {
  return { name, task: "app.add", enabled: true, schedule: "every 30 seconds", error: null, lastRun: NOW - 10_000, missedRun: null, ...over };
}
const periodic = (entries: PeriodicEntryFacts[], beat: PeriodicFacts["beat"] = null): PeriodicFacts => ({
  entries,
  beat,
  source: "beat_schedule from the workers' conf",
});

describe("periodic tasks", () => {
  test("beat silent: one problem, not one per late entry", () => {
    const beat = {
      status: "late" as const,
      detail: "entry every-30s was due 2 min ago and nothing was seen since its last run 3 min ago",
      entry: "every-30s",
      lastRun: NOW - 3 * MIN,
    };
    const found = periodicFindings(
      snapshot({ periodic: periodic([entry("every-30s", { missedRun: NOW - 2 * MIN }), entry("other", { missedRun: NOW - MIN })], beat) }),
    );
    assert.deepEqual(kinds(found), ["beat_silent:beat"]);
    assert.match(found[0]!.sentence, /celery beat looks stopped: entry every-30s was due 2 min ago/);
  });

  test("a run missed while beat sends others; a disabled entry; nothing when all is on time", () => {
    const alive = { status: "alive" as const, detail: "entry fine ran 10 s ago as scheduled", entry: "fine", lastRun: NOW - 10_000 };
    const found = periodicFindings(
      snapshot({ periodic: periodic([entry("fine"), entry("skipped", { missedRun: NOW - 5 * MIN, lastRun: null }), entry("off", { enabled: false })], alive) }),
    );
    assert.deepEqual(kinds(found), ["periodic_missed:skipped", "periodic_disabled:off"]);
    assert.match(found[0]!.sentence, /was due 5 min ago and no run of it was seen, while beat sends others/);
    assert.equal(found[1]!.severity, "info");
    assert.deepEqual(periodicFindings(snapshot({ periodic: periodic([entry("fine")], alive) })), []);
    assert.deepEqual(periodicFindings(snapshot()), [], "no periodic facts read: nothing said");
  });

  test("a crontab that can never fire (31 February), as the schedule code words it", () => {
    const raw = "<crontab: 0 0 31 2 * (m/h/dM/MY/d)>";
    const s = computeSchedule(raw, { now: new Date(NOW), timeZone: "UTC" });
    const found = periodicFindings(snapshot({ periodic: periodic([entry("leap", { schedule: s.human, error: s.error ?? null, lastRun: null })]) }));
    assert.deepEqual(kinds(found), ["periodic_never_fires:leap"]);
    assert.match(
      found[0]!.sentence,
      /can never run: its crontab names no date that exists \(never fires: day_of_month "31" does not occur in month_of_year "2"\)/,
    );
    // celery beat 5.2 exits on such an entry ("unable to rollover"): every entry stops, so it is a problem.
    assert.equal(found[0]!.severity, "problem");
    assert.match(found[0]!.sentence, /celery beat stops on it \("unable to rollover"\), sending no entry at all/);
  });
});
