// The snapshot's task part kept between recomputes (agent/runtime/diagnostics-task-facts.ts): read
// again after any task changes, reused while none does, on a real store.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { TaskFactsCache } from "../../agent/runtime/diagnostics-task-facts";
import { TaskStore } from "../../agent/sources/tasks/store";
import { NOW, tev } from "./helpers/diagnostics";

describe("task facts of the diagnostics", () => {
  test("the waiting tasks are read again after a change, and kept while nothing changes", () => {
    const store = new TaskStore(1000);
    const cache = new TaskFactsCache(store);
    store.applyEvent(tev("task-received", "a", 2000, { name: "app.add" }));
    const first = cache.read(NOW);
    assert.deepEqual(
      first.waiting.map((t) => [t.id, t.state]),
      [["a", "RECEIVED"]],
    );
    assert.equal(cache.read(NOW + 500), first, "nothing changed: the same facts, not read again");

    store.applyEvent(tev("task-started", "a", 1000, { hostname: "w1@host" }));
    store.applyEvent(tev("task-received", "b", 900, { name: "app.add" }));
    const second = cache.read(NOW + 600);
    assert.notEqual(second, first);
    assert.deepEqual(
      second.waiting.map((t) => t.id),
      ["b"],
      "a started: no longer waiting; b received: waiting",
    );
    // Read again after a while even with no change heard (a task dropped from the store says nothing).
    assert.notEqual(cache.read(NOW + 60_000), second);
  });
});
