/**
 * The durable history on a disk that fills up: a small tmpfs holds the data directory, a filler
 * file takes its room, real workers run tasks. The agent must say so in health (and on its event
 * stream, which the panel's notice reads), keep serving the live views, keep the changed tasks,
 * and write them once the room is back; the file stays intact throughout.
 *
 * Needs to mount a tmpfs (root in this container, as CI runs): skipped, saying why, where it cannot.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { CeleryWorker, eventually, RedisServer, runPython, startAgent, stopAll } from "../harness/deployment";
import { recordEventStream } from "../harness/event-stream";

/** The history states the stream's health events told, in order. */
const toldHistory = (sse: string) =>
  [...sse.matchAll(/^event: health\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as { history?: { state: string } }).history?.state);

const mountPoint = mkdtempSync(join(tmpdir(), "celery-panel-full-disk-"));
let mounted = false;
let cannotMount: string | false = false;
try {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint], { stdio: "pipe" });
  mounted = true;
} catch (e) {
  cannotMount = `cannot mount a tmpfs here (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`;
}

after(async () => {
  await stopAll();
  if (mounted) execFileSync("umount", ["-l", mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const free = () => {
  const s = statfsSync(mountPoint);
  return s.bavail * s.bsize;
};

it("a full disk: reported, the live views served, the changes written once there is room again", { skip: cannotMount }, async () => {
  const redis = await RedisServer.start();
  try {
    const dataDir = join(mountPoint, "data");
    await CeleryWorker.start({ name: "fd@panel", pool: "solo", queues: ["celery"], broker: redis.url(0), backend: redis.url(1) });
    const agent = await startAgent(["--broker", redis.url(0), "--result-backend", redis.url(1), "--data-dir", dataDir]);
    const stream = await recordEventStream(agent.url);
    try {
      // The rest of the disk, but for 64 KB, taken by a filler file.
      const filler = join(mountPoint, "filler");
      writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 64 * 1024)));
      // Tasks with 4 KB of arguments (and as much result) each, until a write fails.
      const run = (n: number, tag: string) =>
        runPython(
          `import panel_fixture as p
rs = [p.add.delay("${tag}-%d-" % i + "x" * 4000, "!") for i in range(${n})]
[r.get(timeout=30) for r in rs]
print(",".join(r.id for r in rs))`,
          redis.url(0),
          redis.url(1),
        ).then((out) => out.trim().split(","));
      const before = await run(40, "before");
      const failed = await eventually(
        async () => {
          const h = (await agent.get<any>("/api/v1/health")).body.history;
          return h.state === "failed" ? h : null;
        },
        30_000,
        "the history reported failed",
      );
      assert.match(failed.error, /full|SQLITE_FULL|no space/i);
      assert.ok(failed.pending > 0, "the changed tasks are kept");
      // The stream says so too: what the panel's notice shows.
      await eventually(async () => (toldHistory(stream.text()).includes("failed") ? true : null), 10_000, "a health event with the history failed");

      // Meanwhile the live views go on: tasks run now are listed, with their results.
      const during = await run(5, "during");
      await eventually(async () => {
        const list = (await agent.get<any>("/api/v1/tasks?limit=100")).body;
        return during.every((id) => list.tasks.some((t: any) => t.id === id && t.state === "SUCCESS")) ? true : null;
      }, 20_000);
      assert.equal((await agent.get<any>("/api/v1/health")).body.history.state, "failed", "still failing: no room yet");

      // Room again: the pending changes are written, the state is back to on.
      rmSync(filler);
      const back = await eventually(
        async () => {
          const h = (await agent.get<any>("/api/v1/health")).body.history;
          return h.state === "on" && h.pending === 0 ? h : null;
        },
        20_000,
        "the history written again",
      );
      assert.equal(back.error, null);
      await eventually(async () => (toldHistory(stream.text()).at(-1) === "on" ? true : null), 10_000, "a health event with the history on again");
      await agent.stop();

      // The file is intact and holds every task, those of the full disk's time included.
      const file = join(dataDir, readdirSync(dataDir).find((f) => f.endsWith(".sqlite"))!);
      const db = new BetterSqlite3(file, { readonly: true });
      try {
        assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
        const ids = new Set((db.prepare("SELECT id FROM tasks").all() as { id: string }[]).map((r) => r.id));
        for (const id of [...before, ...during]) assert.ok(ids.has(id), `task ${id} in the history`);
        assert.equal((db.prepare("SELECT state FROM tasks WHERE id = ?").get(during[0]) as { state: number }).state, 3, "SUCCESS");
      } finally {
        db.close();
      }
    } finally {
      await stream.stop();
    }
  } finally {
    await stopAll();
    await redis.destroy();
  }
});
