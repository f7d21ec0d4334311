// The history writer against an asynchronous store (as PostgreSQL is): one chunk in flight at a
// time, the flush going on after each commit, failed chunks' ids kept and written once the store
// is back, stop() waiting for what is left.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { newRecord, type TaskRecord } from "../../agent/sources/tasks/record";
import { HistoryWriter } from "../../agent/sources/history/writer";

/** A store whose writes take a few milliseconds and fail while `down`. */
class SlowStore {
  down = false;
  inFlight = 0;
  maxInFlight = 0;
  readonly written = new Map<string, number>();

  async write(records: TaskRecord[]): Promise<number> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(3);
      if (this.down) throw new Error("connection refused");
      for (const r of records) this.written.set(r.id, (this.written.get(r.id) ?? 0) + 1);
      return records.length;
    } finally {
      this.inFlight--;
    }
  }
}

function tasks(n: number): Map<string, TaskRecord> {
  const out = new Map<string, TaskRecord>();
  for (let i = 0; i < n; i++) {
    const t = newRecord(`t-${i}`, i, 1_000 + i);
    t.fromEvents = true;
    out.set(t.id, t);
  }
  return out;
}

describe("history writer, asynchronous store", () => {
  test("writes every changed task once, one chunk at a time, across several chunks", async () => {
    const store = new SlowStore();
    const all = tasks(1000);
    const writer = new HistoryWriter(store, (id) => all.get(id), { payloads: true, intervalMs: 20 });
    writer.start();
    for (const id of all.keys()) writer.changed(id);
    const deadline = Date.now() + 5000;
    while (writer.pending > 0 && Date.now() < deadline) await sleep(10);
    await writer.stop();
    assert.equal(store.written.size, 1000);
    assert.ok([...store.written.values()].every((n) => n === 1));
    assert.equal(store.maxInFlight, 1, "never two chunks at once");
    assert.equal(writer.stats.written, 1000);
    assert.equal(writer.stats.lastError, null);
    assert.ok(writer.stats.flushes > 0);
  });

  test("while the store fails: its error said, the ids kept; once back, all written; stop waits for the rest", async () => {
    const store = new SlowStore();
    const all = tasks(600);
    const writer = new HistoryWriter(store, (id) => all.get(id), { payloads: true, intervalMs: 20 });
    store.down = true;
    writer.start();
    for (const id of all.keys()) writer.changed(id);
    // Between two attempts every id is back in the pending set.
    for (let i = 0; i < 100 && !(writer.stats.lastError && writer.pending === 600); i++) await sleep(5);
    assert.equal(writer.stats.lastError, "connection refused");
    assert.equal(writer.pending, 600, "nothing lost while down");
    assert.equal(store.written.size, 0);
    store.down = false;
    await writer.stop();
    assert.equal(writer.pending, 0);
    assert.equal(store.written.size, 600);
    assert.equal(writer.stats.lastError, null);
  });
});
