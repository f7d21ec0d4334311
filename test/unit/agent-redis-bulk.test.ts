// BulkReader (agent/protocol/redis/bulk.ts): thousands of LLENs in one round trip on a connection
// of its own. Against a small fake Redis that answers RESP, so the bytes on the wire are checked.

import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, test } from "node:test";

import { BulkReader } from "../../agent/protocol/redis/bulk";
import { parseRedisUrl } from "../../agent/protocol/redis/url";

interface Fake {
  port: number;
  /** Every command received, per connection. */
  connections: string[][][];
  close(): Promise<void>;
}

/** Parses RESP arrays of bulk strings; answers LLEN with the key's length in `lists` (split into small chunks). */
async function fakeRedis(lists: Record<string, number>, opts: { refuseAuth?: boolean; wrongType?: string[] } = {}): Promise<Fake> {
  const connections: string[][][] = [];
  const server = net.createServer((socket) => {
    const commands: string[][] = [];
    connections.push(commands);
    let buf = Buffer.alloc(0);
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      const replies: string[] = [];
      for (;;) {
        // *N\r\n then N x ($len\r\nbytes\r\n)
        let at = 0;
        if (buf[at] !== 0x2a) break;
        const nl = buf.indexOf("\r\n", at);
        if (nl < 0) break;
        const n = Number(buf.toString("latin1", at + 1, nl));
        at = nl + 2;
        const args: string[] = [];
        let complete = true;
        for (let i = 0; i < n; i++) {
          const l = buf.indexOf("\r\n", at);
          if (l < 0) {
            complete = false;
            break;
          }
          const len = Number(buf.toString("latin1", at + 1, l));
          if (buf.length < l + 2 + len + 2) {
            complete = false;
            break;
          }
          args.push(buf.toString("utf8", l + 2, l + 2 + len));
          at = l + 2 + len + 2;
        }
        if (!complete) break;
        buf = buf.subarray(at);
        commands.push(args);
        const cmd = args[0]!.toUpperCase();
        if (cmd === "AUTH") replies.push(opts.refuseAuth ? "-WRONGPASS invalid username-password pair\r\n" : "+OK\r\n");
        else if (cmd === "LLEN")
          replies.push(
            opts.wrongType?.includes(args[1]!) ? "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" : `:${lists[args[1]!] ?? 0}\r\n`,
          );
        else replies.push("+OK\r\n");
      }
      // Dribble the answer out a few bytes at a time: replies split anywhere must be read right.
      const out = Buffer.from(replies.join(""));
      for (let i = 0; i < out.length; i += 7) socket.write(out.subarray(i, i + 7));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return { port, connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("BulkReader", () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test("authenticates, selects, names itself once, then reads every length in order", async () => {
    const lists: Record<string, number> = {};
    const keys: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = i % 3 ? `queue-${i}\x06\x16${i % 10}` : `quéue-${i}`;
      keys.push(k);
      lists[k] = i % 17;
    }
    const fake = await fakeRedis(lists, { wrongType: [keys[5]!] });
    cleanup.push(() => fake.close());
    const target = parseRedisUrl(`redis://bench:s3cret@127.0.0.1:${fake.port}/3`);
    const reader = new BulkReader(target, () => ({ host: "127.0.0.1", port: fake.port }), "celery-panel:bulk");
    cleanup.push(() => reader.close());
    const got = await reader.lengths(keys);
    assert.deepEqual(
      got,
      keys.map((k, i) => (i === 5 ? 0 : lists[k])),
      "a key that is not a list counts 0",
    );
    const again = await reader.lengths(keys.slice(0, 10));
    assert.deepEqual(
      again,
      keys.slice(0, 10).map((k, i) => (i === 5 ? 0 : lists[k])),
    );
    assert.equal(fake.connections.length, 1, "the connection is kept");
    const cmds = fake.connections[0]!;
    assert.deepEqual(cmds.slice(0, 3), [
      ["AUTH", "bench", "s3cret"],
      ["SELECT", "3"],
      ["CLIENT", "SETNAME", "celery-panel:bulk"],
    ]);
    assert.equal(cmds.filter((c) => c[0] === "LLEN").length, 3010);
    assert.ok(
      cmds.slice(3).every((c) => c[0] === "LLEN"),
      "nothing but LLEN after the setup",
    );
  });

  test("a refused password or a vanished server is an error (the caller falls back)", async () => {
    const fake = await fakeRedis({}, { refuseAuth: true });
    cleanup.push(() => fake.close());
    const reader = new BulkReader(parseRedisUrl(`redis://:nope@127.0.0.1:${fake.port}/0`), () => ({ host: "127.0.0.1", port: fake.port }), "x");
    await assert.rejects(reader.lengths(["a", "b"]), /setup refused: -WRONGPASS/);
    const gone = new BulkReader(parseRedisUrl("redis://127.0.0.1:1/0"), () => ({ host: "127.0.0.1", port: 1 }), "x");
    await assert.rejects(gone.lengths(["a"]));
    const nowhere = new BulkReader(parseRedisUrl("redis://127.0.0.1:1/0"), () => null, "x");
    await assert.rejects(nowhere.lengths(["a"]), /no endpoint/);
  });
});
