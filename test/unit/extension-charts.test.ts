/** The metrics shaped for the panel's charts and tables: rates, shares, bins, sorting, failure links, sparklines. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TaskNameMetrics } from "../../agent/api/schema";
import { sparklinePaths } from "../../extension/components/charts/Sparkline";
import {
  countColumn,
  soFar,
  failureFilters,
  failureSearchText,
  formatBin,
  formatBytes,
  formatClock,
  formatRate,
  formatShare,
  hasData,
  histogramColumns,
  isolatedIndexes,
  latestIndex,
  sortNames,
  timesOf,
} from "../../extension/shared/chart-data";

const counts = (over: Partial<TaskNameMetrics["counts"]> = {}) => ({
  sent: 0,
  received: 0,
  started: 0,
  succeeded: 0,
  failed: 0,
  retried: 0,
  revoked: 0,
  lost: 0,
  ...over,
});

function named(name: string, succeeded: number, failed: number, p95: number | null): TaskNameMetrics {
  const finished = succeeded + failed;
  return {
    name,
    counts: counts({ succeeded, failed }),
    failure_rate: finished ? failed / finished : null,
    runtime: { count: finished, p50: p95 === null ? null : p95 / 2, p95, p99: p95 },
    wait: { count: finished, p50: null, p95: null, p99: null, basis: null },
  };
}

describe("chart data", () => {
  it("puts points on unix seconds and counts per minute whatever the step", () => {
    const points = [
      { at: "2026-12-01T10:00:00.000Z", counts: counts({ succeeded: 10 }) },
      { at: "2026-12-01T10:05:00.000Z", counts: counts({ succeeded: 0, failed: 5 }) },
    ];
    assert.deepEqual(timesOf(points), [Date.UTC(2026, 11, 1, 10) / 1000, Date.UTC(2026, 11, 1, 10, 5) / 1000]);
    assert.deepEqual(countColumn(points, "succeeded", 300), [2, 0]);
    assert.deepEqual(countColumn(points, "failed", 60), [0, 5]);
    // The step under way (10:05 to 10:10, 2 minutes in): its 5 failures are 2.5/min so far, not 1/min.
    const now = Date.UTC(2026, 11, 1, 10, 7);
    assert.deepEqual(countColumn(points, "failed", 300, now), [0, 2.5]);
    assert.deepEqual(soFar(points, [1, 1], 300, now), [1, 2.5]);
    // Its first seconds count as ten: one task is not a burst.
    assert.deepEqual(countColumn(points, "failed", 300, Date.UTC(2026, 11, 1, 10, 5, 1)), [0, 30]);
    const local = new Date(2026, 11, 1, 9, 5).getTime() / 1000;
    assert.equal(formatClock(local), "09:05");
  });

  it("tells an all-empty chart from one with data", () => {
    assert.equal(hasData([[0, 0, null]]), false);
    assert.equal(hasData([[null], [0, 0.5]]), true);
  });

  it("formats rates, shares and bytes with their units", () => {
    assert.equal(formatRate(12.345), "12/min");
    assert.equal(formatRate(2.25), "2.3/min");
    assert.equal(formatRate(0.25), "0.25/min");
    assert.equal(formatRate(3), "3/min");
    assert.equal(formatRate(null), "—");
    assert.equal(formatShare(0.423), "42 %");
    assert.equal(formatShare(0.025), "2.5 %");
    assert.equal(formatShare(0.0004), "<0.1 %");
    assert.equal(formatShare(0), "0 %");
    assert.equal(formatShare(null), "—");
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(47_500_000), "45.3 MB");
  });

  it("labels histogram bins by their range, one unit when both ends share it", () => {
    assert.equal(formatBin({ lower: 0.12, upper: 0.13 }), "120–130 ms");
    assert.equal(formatBin({ lower: 1.5, upper: 1.6 }), "1.5–1.6 s");
    assert.equal(formatBin({ lower: 0.9, upper: 1.1 }), "900 ms–1.1 s");
    const columns = histogramColumns([
      { lower: 0.5, upper: 0.52, count: 3 },
      { lower: 1, upper: 1.04, count: 7 },
    ]);
    assert.deepEqual(columns.x, [0, 1]);
    assert.deepEqual(columns.counts, [3, 7]);
    assert.deepEqual(columns.labels, ["500–520 ms", "1–1.04 s"]);
    assert.deepEqual(columns.ticks, ["500 ms", "1 s"]);
  });

  it("marks the points a line cannot draw, and shows the latest point at rest", () => {
    assert.deepEqual(isolatedIndexes([null, 3, null, 4, 5, null, 0]), [1, 6]);
    assert.deepEqual(isolatedIndexes([]), []);
    assert.equal(
      latestIndex(
        [
          [1, null, null],
          [null, 2, null],
        ],
        3,
      ),
      1,
    );
    assert.equal(latestIndex([[null, null]], 2), 1);
    assert.equal(latestIndex([[]], 0), null);
  });

  it("sorts names by a column, unknown figures last in either order", () => {
    const rows = [named("b", 5, 0, 1), named("a", 5, 5, null), named("c", 20, 1, 3)];
    assert.deepEqual(
      sortNames(rows, "count", "desc").map((r) => r.name),
      ["c", "a", "b"],
    );
    assert.deepEqual(
      sortNames(rows, "runtime_p95", "asc").map((r) => r.name),
      ["b", "c", "a"],
    );
    assert.deepEqual(
      sortNames(rows, "runtime_p95", "desc").map((r) => r.name),
      ["c", "b", "a"],
    );
    assert.deepEqual(
      sortNames(rows, "failure_rate", "desc").map((r) => r.name),
      ["a", "c", "b"],
    );
    assert.deepEqual(
      sortNames(rows, "name", "asc").map((r) => r.name),
      ["a", "b", "c"],
    );
  });

  it("opens a failure group's tasks with the longest literal part of its message", () => {
    const group = { exception_type: "KeyError", message: "order <num> of customer <uuid> not found in <str>", task_names: ["shop.pick"] };
    assert.equal(failureSearchText(group), "not found in");
    assert.deepEqual(failureFilters(group), { state: "FAILURE", q: "not found in", name: "shop.pick" });
    // Several names: the group's tasks are of any of them, unless a name's page asks.
    assert.deepEqual(failureFilters({ ...group, task_names: ["a", "b"] }), { state: "FAILURE", q: "not found in" });
    assert.deepEqual(failureFilters({ ...group, task_names: ["a", "b"] }, "b"), { state: "FAILURE", q: "not found in", name: "b" });
    // Nothing literal worth searching, or a limited token that sees no message: the type.
    assert.equal(failureSearchText({ exception_type: "ValueError", message: "<num>: <str>" }), "ValueError");
    assert.equal(failureSearchText({ exception_type: "ValueError", message: { format: "hidden", reason: "limited token" } }), "ValueError");
  });

  it("draws a sparkline scaled to its largest value, broken where nothing was sampled", () => {
    assert.deepEqual(sparklinePaths([0, 10, null, 5], 30, 12), ["0.0,11.0 10.0,1.0", "30.0,6.0"]);
    assert.deepEqual(sparklinePaths([0, 0], 10, 12), ["0.0,11.0 10.0,11.0"]);
  });
});
