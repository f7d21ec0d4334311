/**
 * Recording (live section): the real events the workers publish while 750 real tasks run (replayed
 * later by the ingest section) and the real result-backend records (templates for the 1M-task section).
 */
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { runPython } from "../../../test/harness/deployment";
import { log } from "../../lib/proc";
import { fmtMs } from "../../lib/stats";
import type { BenchContext } from "../../run";

export interface LiveOutput {
  /** Raw event messages as PSUBSCRIBE delivered them (base64), for the ingest replay. */
  eventsPath: string;
  /** Real `celery-task-meta-*` values, templates for the 1M generator. */
  metasPath: string;
}

const TASK_MIX = `
import json, random
from panel_fixture import add, report, encode_video, audit_login, fail, flaky, cleanup
random.seed(7)
rs = []
for i in range(N):
    k = i % 25
    if k < 14: rs.append(add.delay(random.randint(0, 10**6), random.randint(0, 10**6)))
    elif k < 17: rs.append(report.delay(kind=random.choice(["daily", "weekly", "nightly", "adhoc"])))
    elif k < 20: rs.append(encode_video.apply_async(args=[random.randint(1, 10**7)], kwargs={"quality": random.choice(["sd", "hd", "4k"])}, priority=random.choice([0, 3, 6, 9])))
    elif k < 22: rs.append(audit_login.delay(f"user-{random.randint(1, 99999)}@example.com"))
    elif k == 22: rs.append(fail.delay(random.choice(["card declined", "timeout talking to payments", "bad input"])))
    elif k == 23: rs.append(flaky.delay(succeed_on_retry=1))
    else: rs.append(cleanup.delay())
done = 0
for r in rs:
    try:
        r.get(timeout=120, propagate=False)
        done += 1
    except Exception:
        pass
print(json.dumps({"sent": len(rs), "done": done}))
`;

export async function record(ctx: BenchContext, broker: string, backend: string, out: LiveOutput): Promise<void> {
  const n = ctx.quick ? 250 : 750;
  const sub = new Redis(broker, { lazyConnect: true });
  await sub.connect();
  const messages: { channel: string; data: string }[] = [];
  sub.on("pmessageBuffer", (_p: Buffer, channel: Buffer, message: Buffer) => messages.push({ channel: channel.toString(), data: message.toString("base64") }));
  await sub.psubscribe("/0.celeryev/*");
  const t0 = performance.now();
  const res = await runPython(TASK_MIX.replace("range(N)", `range(${n})`), broker, backend, {}, 300_000);
  await sleep(2500); // trailing task.multi flushes and a heartbeat or two
  await sub.quit();
  log(`live: recorded ${messages.length} event messages from ${res.trim()} in ${fmtMs(performance.now() - t0)}`);
  writeFileSync(out.eventsPath, JSON.stringify(messages));
  // The result backend's real records: templates for the 1M-task generator.
  const c = new Redis(backend);
  const metas: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await c.scan(cursor, "MATCH", "celery-task-meta-*", "COUNT", 1000);
    cursor = next;
    if (keys.length) for (const v of await c.mget(...keys)) if (v) metas.push(v);
  } while (cursor !== "0");
  await c.quit();
  writeFileSync(out.metasPath, JSON.stringify(metas));
  ctx.notes.recording = `${messages.length} event messages (PSUBSCRIBE \`/0.celeryev/*\`) and ${metas.length} result-backend records from ${n} real tasks (add, report, encode_video with priorities, audit_login on a topic exchange, fail, flaky with retries, cleanup) on 4 prefork workers.`;
}
