// Liveness of a worker whose pool is not known yet (WorkerRegistry.liveness), and how the agent
// learns the pool at once (PoolProbe, agent/sources/workers/pool-probe.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { CeleryEvent } from "../../agent/protocol/events";
import type { ReadOnlyControlMethod } from "../../agent/protocol/control";
import type { BroadcastOptions, BroadcastResult, RemoteControl } from "../../agent/protocol/transport";
import { Inspector } from "../../agent/sources/workers/inspector";
import { PoolProbe } from "../../agent/sources/workers/pool-probe";
import { poolKind } from "../../agent/sources/workers/pool-kind";
import { WorkerRegistry } from "../../agent/sources/workers/registry";

const START = 1795558020000;

function wev(type: string, hostname: string, receivedAt: number, pid = 100): CeleryEvent {
  const timestamp = receivedAt / 1000;
  return { type, hostname, timestamp, receivedAt, utcoffset: 0, clock: null, pid, fields: { type, hostname, timestamp, freq: 2.0 } };
}

function setup() {
  let now = START;
  const running = new Map<string, { id: string; name: string | null; started: number | null }[]>();
  const reg = new WorkerRegistry({ running: (w) => running.get(w) ?? [] }, () => now);
  return { reg, running, at: (t: number) => (now = t), live: (name: string) => reg.liveness(reg.get(name)!) };
}

describe("WorkerRegistry: a running task and a pool not known yet", () => {
  test("silent past 2 x freq while running a task, pool unknown: online and busy, saying the pool is not known", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "fresh@vm", START));
    s.running.set("fresh@vm", [{ id: "t1", name: "app.long", started: START + 300 }]);
    s.at(START + 30_000);
    assert.deepEqual(s.live("fresh@vm"), {
      status: "online",
      busy: true,
      detail: "busy running app.long (t1); its pool is not known yet (it has not answered stats), and a solo worker sends no heartbeat while a task runs",
    });
    // Nothing running: Celery's rule.
    s.running.delete("fresh@vm");
    assert.equal(s.live("fresh@vm").status, "offline");
  });

  test("never heard from (only its binding) but the result backend shows it running a task: online and busy", () => {
    const s = setup();
    s.reg.applyBindings(["midtask@vm"]);
    s.running.set("midtask@vm", [{ id: "t2", name: "app.long", started: START - 5000 }]);
    s.at(START + 10_000);
    const l = s.live("midtask@vm");
    assert.equal(l.status, "online");
    assert.equal(l.busy, true);
    assert.equal(
      l.detail,
      "busy running app.long (t2), as the result backend says; not heard from since the agent started and its pool is not known yet: a solo worker sends no heartbeat while a task runs (one that died mid-task looks the same)",
    );
    assert.equal(s.reg.responsive().has("midtask@vm"), false, "busy: not waited for");
  });

  test("once its pool is known to be prefork, silence means dead again", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "pre@vm", START));
    s.running.set("pre@vm", [{ id: "t3", name: "app.long", started: START + 300 }]);
    s.reg.setPool("pre@vm", "prefork");
    s.at(START + 4001);
    assert.equal(s.live("pre@vm").status, "offline");
  });

  test("a worker that heartbeated well after its task started is not solo: silence then means dead, pool known or not", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "hb@vm", START));
    s.running.set("hb@vm", [{ id: "t4", name: "app.long", started: START + 300 }]);
    s.reg.applyEvent(wev("worker-heartbeat", "hb@vm", START + 2000));
    s.at(START + 8000);
    assert.equal(s.live("hb@vm").busy, true, "a heartbeat within an interval of the start proves nothing");
    s.reg.applyEvent(wev("worker-heartbeat", "hb@vm", START + 4000));
    s.at(START + 8001);
    assert.deepEqual(s.live("hb@vm"), { status: "offline", busy: false, detail: "no heartbeat for 4 s (expected every 2 s)" });
    // The newest running task decides: an older, stale STARTED does not make a busy solo worker look non-solo.
    s.running.set("hb@vm", [
      { id: "old", name: "app.long", started: START - 60_000 },
      { id: "t5", name: "app.long", started: START + 5000 },
    ]);
    assert.equal(s.live("hb@vm").status, "online");
  });

  test("a restart forgets the pool: the new process is judged as not known yet", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "phoenix@vm", START, 100));
    s.reg.setPool("phoenix@vm", "prefork");
    s.reg.applyEvent(wev("worker-online", "phoenix@vm", START + 1000, 200));
    assert.equal(s.reg.pools.has("phoenix@vm"), false);
    s.running.set("phoenix@vm", [{ id: "t6", name: null, started: START + 1200 }]);
    s.at(START + 20_000);
    assert.equal(s.live("phoenix@vm").busy, true);
  });
});

/** A broker that answers `stats` only for the workers listed in `answering`, recording every request. */
class StatsTransport {
  readonly asked: string[][] = [];
  readonly answering = new Set<string>();
  async broadcast(method: ReadOnlyControlMethod, _args: Record<string, unknown>, opts: BroadcastOptions): Promise<BroadcastResult> {
    assert.equal(method, "stats");
    this.asked.push([...(opts.destination ?? [])]);
    const replies = new Map<string, unknown>();
    for (const w of opts.destination ?? []) if (this.answering.has(w)) replies.set(w, { pid: 1, pool: { "max-concurrency": 2, processes: [11, 12] } });
    return { replies, early: replies.size === (opts.destination ?? []).length, elapsedMs: 1 };
  }
}

const settle = () => sleep(120);

describe("PoolProbe", () => {
  function probeSetup() {
    let now = START;
    const reg = new WorkerRegistry({ running: () => [] }, () => now);
    const transport = new StatsTransport();
    const inspector = new Inspector(
      transport as unknown as RemoteControl,
      500,
      () => new Set(),
      (m, w, v) => {
        if (m === "stats") reg.setPool(w, poolKind(v));
      },
    );
    const probe = new PoolProbe(reg, inspector, () => now);
    const hear = (e: CeleryEvent) => {
      reg.applyEvent(e);
      probe.heard(e);
    };
    return { reg, transport, probe, hear, advance: (ms: number) => (now += ms) };
  }

  test("workers first heard from are asked for stats at once, together, and only until their pool is known", async () => {
    const p = probeSetup();
    p.transport.answering.add("a@vm").add("b@vm");
    p.hear(wev("worker-online", "a@vm", START));
    p.hear(wev("worker-heartbeat", "b@vm", START));
    p.hear(wev("task-sent", "web@vm", START));
    await settle();
    assert.deepEqual(p.transport.asked, [["a@vm", "b@vm"]]);
    assert.equal(p.reg.pools.get("a@vm"), "prefork");
    p.hear(wev("worker-heartbeat", "a@vm", START + 2000));
    await settle();
    assert.equal(p.transport.asked.length, 1, "known: not asked again");
    p.probe.stop();
  });

  test("a worker that does not answer (busy solo) is asked again on a later event, backing off; worker-online asks at once", async () => {
    const p = probeSetup();
    p.hear(wev("worker-online", "busy@vm", START));
    await settle();
    p.hear(wev("task-started", "busy@vm", START + 100));
    await settle();
    assert.equal(p.transport.asked.length, 1, "not again within the back-off");
    p.advance(5000);
    p.transport.answering.add("busy@vm");
    p.hear(wev("task-succeeded", "busy@vm", START + 5000));
    await settle();
    assert.equal(p.transport.asked.length, 2);
    assert.equal(p.reg.pools.get("busy@vm"), "prefork");
    // A new process under the name: asked afresh.
    p.hear(wev("worker-online", "busy@vm", START + 6000, 999));
    await settle();
    assert.equal(p.transport.asked.length, 3);
    p.probe.stop();
  });
});
