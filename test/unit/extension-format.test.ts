/**
 * Times and counts as the panel and popup write them (extension/shared/format.ts): absolute times
 * carry their zone, timelines read to the millisecond with the gap between entries, and counts
 * agree with their nouns. The browser's zone is set through TZ, which node reads on each change.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatGap, formatIso, formatTimestamp, formatZone, plural, pluralWord, timelineTimes } from "../../extension/shared/format";

const savedTz = process.env.TZ;
after(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

function inZone<T>(tz: string, f: () => T): T {
  process.env.TZ = tz;
  return f();
}

describe("absolute times", () => {
  it("name their zone as an offset from UTC, at that moment (summer time included)", () => {
    inZone("Europe/Paris", () => {
      assert.equal(formatTimestamp("2026-11-24T15:02:11.482Z"), "2026-11-24 16:02:11 UTC+1");
      assert.equal(formatTimestamp("2026-07-01T15:02:11.482Z"), "2026-07-01 17:02:11 UTC+2");
    });
    assert.equal(
      inZone("UTC", () => formatTimestamp("2026-11-24T15:02:11.482Z")),
      "2026-11-24 15:02:11 UTC",
    );
    assert.equal(
      inZone("Asia/Kolkata", () => formatZone(new Date("2026-11-24T15:02:11Z"))),
      "UTC+5:30",
    );
    assert.equal(
      inZone("America/Sao_Paulo", () => formatTimestamp("2026-11-24T15:02:11Z")),
      "2026-11-24 12:02:11 UTC-3",
    );
  });

  it("show milliseconds when asked, and the full ISO moment for tooltips", () => {
    inZone("Europe/Paris", () => {
      assert.equal(formatTimestamp("2026-11-24T15:02:11.007Z", { ms: true }), "2026-11-24 16:02:11.007 UTC+1");
      assert.equal(formatIso("2026-11-24T15:02:11.482Z"), "2026-11-24T16:02:11.482+01:00");
    });
    assert.equal(
      inZone("UTC", () => formatIso("2026-11-24T15:02:11.482Z")),
      "2026-11-24T15:02:11.482Z",
    );
    assert.equal(
      inZone("Asia/Kolkata", () => formatIso("2026-11-24T15:02:11.482Z")),
      "2026-11-24T20:32:11.482+05:30",
    );
  });

  it("leave what is not a time as it is", () => {
    assert.equal(formatTimestamp(null), "—");
    assert.equal(formatTimestamp("soon"), "soon");
    assert.equal(formatGap("soon", "2026-11-24T15:02:11Z"), "—");
  });
});

describe("timelines", () => {
  it("read to the millisecond, with the gap from the previous entry", () => {
    const times = inZone("Europe/Paris", () =>
      timelineTimes([
        { at: "2026-11-24T15:02:11.482Z" },
        { at: "2026-11-24T15:02:11.494Z" },
        { at: "2026-11-24T15:02:11.494Z" },
        { at: "2026-11-24T15:02:13.744Z" },
        { at: "2026-11-24T23:05:13.744Z" },
      ]),
    );
    assert.deepEqual(
      times.map((t) => [t.at, t.gap]),
      [
        ["2026-11-24 16:02:11.482 UTC+1", ""],
        ["16:02:11.494 UTC+1", "+12 ms"],
        ["16:02:11.494 UTC+1", "+0 ms"],
        ["16:02:13.744 UTC+1", "+2.25 s"],
        // The day changed: the date comes back.
        ["2026-11-25 00:05:13.744 UTC+1", "+8 h 3 min"],
      ],
    );
    assert.equal(times[1]!.title, "2026-11-24T16:02:11.494+01:00");
  });

  it("say so when an entry is earlier than the one before (clocks that differ)", () => {
    assert.equal(formatGap("2026-11-24T15:02:11.500Z", "2026-11-24T15:02:11.496Z"), "-4 ms");
  });
});

describe("counts", () => {
  it("agree with their nouns", () => {
    assert.equal(plural(1, "worker"), "1 worker");
    assert.equal(plural(0, "worker"), "0 workers");
    assert.equal(plural(2, "offline worker"), "2 offline workers");
    assert.equal(plural(1_234, "entry", "entries"), "1,234 entries");
    assert.equal(pluralWord(1, "worker offline", "workers offline"), "worker offline");
    assert.equal(pluralWord(3, "worker offline", "workers offline"), "workers offline");
    assert.equal(pluralWord(null, "worker offline", "workers offline"), "workers offline");
  });
});
