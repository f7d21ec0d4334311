// Finding one task's message among many (agent/sources/diagnostics/locate.ts): lists read in batches
// from the next message to be delivered, positions counted across batches and priority lists, the
// read bounded in messages and in time; a broker that searches raw messages is asked for the id only.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { decodeEnvelope, encodeEnvelope, type Envelope } from "../../agent/protocol/envelope";
import type { ListRead, MessagePeek, PeekMatches } from "../../agent/protocol/transport";
import { locateMessage } from "../../agent/sources/diagnostics/locate";

const idOf = (n: number) => `7e57c0de-0000-4000-8000-${String(n).padStart(12, "0")}`;

function raw(id: string): string {
  return encodeEnvelope([[1, 2], {}, {}], { task: "proj.add", id, retries: 0, root_id: id, parent_id: null }, { exchange: "", routing_key: "q" }, "tag");
}

/** Lists held in memory, the next message to be delivered first, read as the Redis transport reads them. */
function lists(byKey: Record<string, string[]>, searches: boolean) {
  const reads: ListRead[] = [];
  const slice = (r: ListRead) => (byKey[`${r.queue}/${r.step}`] ?? []).slice(r.skip ?? 0, (r.skip ?? 0) + r.count);
  const decode = (m: string): Envelope | null => {
    const d = decodeEnvelope(m);
    return d.ok ? d.envelope : null;
  };
  const peek: MessagePeek = {
    async peekLists(rs) {
      reads.push(...rs);
      return rs.map((r) => slice(r).map(decode));
    },
  };
  if (searches)
    peek.peekContaining = async (rs, needle): Promise<PeekMatches[]> => {
      reads.push(...rs);
      return rs.map((r) => {
        const s = slice(r);
        return { read: s.length, matches: s.flatMap((m, index) => (m.includes(needle) ? [{ index, envelope: decode(m)! }] : [])) };
      });
    };
  return { peek, reads };
}

const queue = (high: number, low: number) => ({
  name: "q",
  messages_by_priority: [
    { priority: 0, messages: high },
    { priority: 3, messages: low },
  ],
});

describe("locating a message", () => {
  const high = Array.from({ length: 3000 }, (_, i) => raw(idOf(i)));
  const low = Array.from({ length: 10 }, (_, i) => raw(idOf(10_000 + i)));

  for (const searches of [true, false]) {
    test(`found past the first batch and in a later priority list, at its position (${searches ? "raw search" : "every message decoded"})`, async () => {
      const { peek, reads } = lists({ "q/0": high, "q/3": low }, searches);
      const deep = await locateMessage(peek, [queue(3000, 10)], idOf(2700), { perList: 20_000, total: 50_000, ms: 60_000 });
      assert.deepEqual(deep.found && [deep.found.queue, deep.found.position], ["q", 2701]);
      assert.deepEqual(
        reads.map((r) => [r.step, r.skip, r.count]),
        [
          [0, 0, 2500],
          [0, 2500, 500],
          [3, 0, 10],
        ],
        "a list longer than a batch is read in two; the next list joins the second batch",
      );
      const later = await locateMessage(peek, [queue(3000, 10)], idOf(10_004), { perList: 20_000, total: 50_000, ms: 60_000 });
      assert.deepEqual(later.found && [later.found.queue, later.found.position], ["q", 3005], "behind the 3,000 of the first list");
    });
  }

  test("bounded: in messages per list, and in time (a batch at least)", async () => {
    const { peek } = lists({ "q/0": high, "q/3": low }, true);
    const few = await locateMessage(peek, [queue(3000, 10)], idOf(2700), { perList: 100, total: 50_000, ms: 60_000 });
    assert.deepEqual([few.found, few.read, few.messages], [null, 110, 3010]);
    const hurried = await locateMessage(peek, [queue(3000, 10)], idOf(2700), { perList: 20_000, total: 50_000, ms: 0 });
    assert.deepEqual([hurried.found, hurried.read], [null, 2500], "no time left after the first batch");
  });
});
