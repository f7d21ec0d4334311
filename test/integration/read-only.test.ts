/**
 * The agent changes nothing: with MONITOR on, every endpoint and the event stream are exercised,
 * and every command the agent's own connections sent is checked. The only writes allowed are the
 * remote-control reply binding and reply list, and they must be gone afterwards.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { Redis } from "ioredis";
import { eventually, letTimePass, stopAll } from "../harness/deployment";
import { READS } from "../harness/redis-monitor";
import { REDIS_PASSWORD, startScenario, type Scenario } from "../harness/scenario";

let s: Scenario;
let monitor: Redis;
let monitoring: Redis;
const lines: { addr: string; args: string[] }[] = [];

before(async () => {
  s = await startScenario();
  await s.python(`import panel_fixture as p; p.add.delay(1, 1).get(timeout=20); p.fail.delay().get(timeout=20, propagate=False)`);
  monitor = new Redis({ port: s.redis.port, password: REDIS_PASSWORD, lazyConnect: true });
  await monitor.connect();
  monitoring = await monitor.monitor();
  monitoring.on("monitor", (_time: string, args: string[], source: string) => lines.push({ addr: source.split(" ").pop()!, args }));
});

after(async () => {
  monitoring?.disconnect();
  monitor?.disconnect();
  await stopAll();
  await s?.redis.destroy();
});

it("writes nothing but the remote-control reply binding, and cleans that up", async () => {
  const { workers } = (await s.agent.get<any>("/api/v1/workers")).body;
  const { queues } = (await s.agent.get<any>("/api/v1/queues")).body;
  const { tasks } = (await s.agent.get<any>("/api/v1/tasks?limit=500")).body;
  const paths = ["health", "overview", "config", "periodic-tasks", "tasks?state=FAILURE&q=boom", "workers/nobody@x", "tasks/missing-id"];
  paths.push(...workers.map((w: any) => `workers/${w.name}`), ...queues.map((q: any) => `queues/${q.name}`), ...tasks.map((t: any) => `tasks/${t.id}`));
  for (const p of paths) await s.agent.get(`/api/v1/${p}`);
  const ctrl = new AbortController();
  const stream = await fetch(`${s.agent.url}/api/v1/events`, { signal: ctrl.signal });
  await letTimePass(1200, "the event stream stays open for a few of its quarter-second batches");
  ctrl.abort();
  void stream;
  // MONITOR reports commands in the order Redis ran them: once a marker sent now is seen, so is every
  // command the agent sent before it.
  const marker = `read-only-test-marker-${Date.now()}`;
  await monitor.echo(marker);
  await eventually(async () => lines.some((l) => l.args[0]?.toLowerCase() === "echo" && l.args[1] === marker), 10_000, "MONITOR caught up");

  // The agent's connections are the ones it named.
  const probe = monitor.duplicate();
  // Closed whatever happens: an open connection would keep the test process alive after a failed assertion.
  try {
    const clients = (await probe.client("LIST")) as string;
    const agentAddrs = new Set(
      clients
        .split("\n")
        .filter((l) => /name=celery-panel/.test(l))
        .map((l) => /addr=(\S+)/.exec(l)![1]!),
    );
    assert.ok(agentAddrs.size >= 3, `agent connections found: ${[...agentAddrs]}`);
    const mine = lines.filter((l) => agentAddrs.has(l.addr));
    assert.ok(mine.length > 50, `monitored ${mine.length} agent commands`);

    const problems: string[] = [];
    let published = 0;
    let bindingAdds = 0;
    for (const { args } of mine) {
      const cmd = args[0]!.toLowerCase();
      if (READS.has(cmd)) continue;
      const key = args[1] ?? "";
      if (cmd === "publish" && key === "/0.celery.pidbox") {
        const body = JSON.parse(Buffer.from(JSON.parse(args[2]!).body, "base64").toString());
        if (!["stats", "active_queues", "registered", "active", "reserved", "scheduled", "revoked", "conf", "ping"].includes(body.method))
          problems.push(`sent control method ${body.method}`);
        published++;
        continue;
      }
      if ((cmd === "sadd" || cmd === "srem") && key === "_kombu.binding.reply.celery.pidbox") {
        if (cmd === "sadd") bindingAdds++;
        continue;
      }
      if (cmd === "del" && args.slice(1).every((k) => k.endsWith(".reply.celery.pidbox"))) continue;
      problems.push(args.slice(0, 3).join(" ").slice(0, 160));
    }
    assert.deepEqual(problems, [], "commands that change Celery's state");
    assert.ok(published > 5 && bindingAdds === published, `published ${published}, bindings added ${bindingAdds}`);

    // Nothing left behind: no reply binding of ours, no reply list.
    const members = await probe.smembers("_kombu.binding.reply.celery.pidbox");
    const replyLists = await probe.keys("*.reply.celery.pidbox");
    assert.deepEqual(members, [], "reply bindings left behind");
    assert.deepEqual(replyLists, [], "reply lists left behind");
  } finally {
    probe.disconnect();
  }
});
