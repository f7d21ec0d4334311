// What the diagnostics remember between snapshots (agent/runtime/diagnostics-history.ts): depth
// samples spaced and forgotten, and the tasks taken from a rising queue counted from a real store.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { SampleRings, withDepthHistory } from "../../agent/runtime/diagnostics-history";
import { TaskStore } from "../../agent/sources/tasks/store";
import { NOW, tev } from "./helpers/diagnostics";

const MIN = 60_000;

describe("diagnostics history", () => {
  test("samples are kept at least 5 s apart and for 10 minutes; keys gone are dropped", () => {
    const r = new SampleRings();
    for (const [ago, v] of [
      [12 * MIN, 1],
      [9 * MIN, 2],
      [9 * MIN - 1000, 3],
      [MIN, 4],
      [0, 5],
    ] as const)
      r.add("q", NOW - ago, v);
    assert.deepEqual(
      r.get("q").map((s) => s.value),
      [2, 4, 5],
      "the 12 min old one forgotten, the one 1 s after another skipped",
    );
    r.retain(new Set(["other"]));
    assert.deepEqual(r.get("q"), []);
  });

  test("a rising queue gets the count of tasks workers took from it since its rise began", () => {
    const store = new TaskStore(1000);
    const taken = (id: string, ago: number, queue: string) => {
      store.applyEvent(tev("task-sent", id, ago + 500, { name: "app.add", queue }));
      store.applyEvent(tev("task-received", id, ago, { name: "app.add" }));
    };
    taken("early", 5 * MIN, "busy"); // before the rise (from its low, 4 min ago): not counted
    taken("a", 3 * MIN, "busy");
    taken("b", MIN, "busy");
    taken("c", MIN, "calm");
    store.applyEvent(tev("task-sent", "waiting", 30_000, { name: "app.add", queue: "busy" })); // sent, not taken
    const rings = new SampleRings();
    for (const [ago, busy, calm] of [
      [6 * MIN, 40, 5],
      [4 * MIN, 10, 5],
      [2 * MIN, 40, 5],
    ] as const) {
      withDepthHistory(
        [
          { name: "busy", messages: busy },
          { name: "calm", messages: calm },
        ],
        rings,
        store,
        NOW - ago,
        MIN,
      );
    }
    const [busy, calm] = withDepthHistory(
      [
        { name: "busy", messages: 70 },
        { name: "calm", messages: 5 },
      ],
      rings,
      store,
      NOW,
      MIN,
    );
    assert.deepEqual(
      busy!.depths.map((s) => s.value),
      [40, 10, 40, 70],
    );
    assert.equal(busy!.receivedInRise, 2);
    assert.equal(calm!.receivedInRise, null, "not rising: not counted");
  });
});
