// Worker liveness and presentation: WorkerRegistry (agent/sources/workers/registry.ts),
// poolKind (agent/sources/workers/pool-kind.ts) / workerTask (agent/handlers/present/workers.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { CeleryEvent } from "../../agent/protocol/events";
import { workerTask, workerTasks } from "../../agent/handlers/present/workers";
import { poolKind } from "../../agent/sources/workers/pool-kind";
import { WorkerRegistry, type RunningTaskLookup, type WorkerState } from "../../agent/sources/workers/registry";

const START = 1795558020000; // agent clock, ms

/** A worker event arriving at the agent at `receivedAt`, stamped by a worker clock `skewS` seconds off. */
function wev(type: string, hostname: string, receivedAt: number, fields: Record<string, unknown> = {}, skewS = 0): CeleryEvent {
  const timestamp = receivedAt / 1000 + skewS;
  return {
    type,
    hostname,
    timestamp,
    receivedAt,
    utcoffset: 0,
    clock: null,
    pid: typeof fields.pid === "number" ? fields.pid : null,
    fields: { type, hostname, timestamp, freq: 2.0, ...fields },
  };
}

function setup() {
  let now = START;
  const running = new Map<string, { id: string; name: string | null; started: number | null }[]>();
  const typical = new Map<string, number>();
  const lookup: RunningTaskLookup = { running: (w) => running.get(w) ?? [], typicalRuntime: (name) => typical.get(name) ?? null };
  const reg = new WorkerRegistry(lookup, () => now);
  return {
    reg,
    running,
    typical,
    at: (t: number) => (now = t),
    advance: (ms: number) => (now += ms),
    get now() {
      return now;
    },
  };
}

const live = (reg: WorkerRegistry, name: string) => reg.liveness(reg.get(name)!);

describe("WorkerRegistry: liveness", () => {
  test("the agent's own outage is not the workers' death: judged as last known, then a grace to rejoin", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "alive@vm", START));
    s.reg.applyEvent(wev("worker-heartbeat", "dead@vm", START - 10_000));
    s.reg.setListening(false, START + 1000);
    s.at(START + 11_000);
    const blind = live(s.reg, "alive@vm");
    assert.equal(blind.status, "online", "ten silent seconds the agent could not hear through");
    assert.match(blind.detail ?? "", /as last known: the agent has not heard the broker since/);
    assert.equal(live(s.reg, "dead@vm").status, "offline", "dead before the outage: still dead");
    s.reg.setListening(true, START + 11_000);
    // Back at +11 s after a 10 s outage: the workers get 2 x freq plus the outage's length to be heard.
    s.at(START + 11_000 + 10_000 + 4000);
    assert.equal(live(s.reg, "alive@vm").status, "online");
    assert.equal(live(s.reg, "alive@vm").detail, null);
    s.at(START + 11_000 + 10_000 + 4001);
    assert.equal(live(s.reg, "alive@vm").status, "offline", "not back after the grace: offline");
    assert.equal(live(s.reg, "dead@vm").status, "offline");
  });

  test("a worker-offline while workers rejoin after the agent's outage is a consumer restart until the grace ends", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START));
    s.reg.applyEvent(wev("worker-heartbeat", "w2@vm", START));
    s.reg.setListening(false, START + 1000);
    s.reg.setListening(true, START + 6000);
    // Redis came back: each worker's consumer restarts and says worker-offline first.
    s.at(START + 7000);
    s.reg.applyEvent(wev("worker-offline", "w1@vm", START + 7000));
    s.reg.applyEvent(wev("worker-offline", "w2@vm", START + 7000));
    assert.equal(live(s.reg, "w1@vm").status, "online", "restarting its consumer, not shut down");
    s.reg.applyEvent(wev("worker-online", "w1@vm", START + 8000));
    // The grace (the outage's 5 s after the return) ends: w1 came back, w2 never did.
    s.at(START + 6000 + 5000 + 1);
    assert.equal(live(s.reg, "w1@vm").status, "online");
    assert.deepEqual(live(s.reg, "w2@vm"), { status: "offline", busy: false, detail: "shut down (sent worker-offline)" });
  });

  test("online after a heartbeat; offline once 2 x freq pass without one", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START));
    assert.deepEqual(live(s.reg, "w1@vm"), { status: "online", busy: false, detail: null });
    s.at(START + 4000);
    assert.equal(live(s.reg, "w1@vm").status, "online", "exactly 2 x freq is still online");
    s.at(START + 4001);
    assert.deepEqual(live(s.reg, "w1@vm"), { status: "offline", busy: false, detail: "no heartbeat for 4 s (expected every 2 s)" });
    s.at(START + 60_000);
    assert.equal(live(s.reg, "w1@vm").detail, "no heartbeat for 60 s (expected every 2 s)");
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START + 60_000));
    assert.equal(live(s.reg, "w1@vm").status, "online");
  });

  test("the window follows the worker's own freq", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "w1@vm", START, { freq: 5.0 }));
    assert.equal(s.reg.get("w1@vm")!.freq, 5);
    s.at(START + 10_000);
    assert.equal(live(s.reg, "w1@vm").status, "online");
    s.at(START + 10_001);
    assert.equal(live(s.reg, "w1@vm").detail, "no heartbeat for 10 s (expected every 5 s)");
  });

  test("liveness uses the agent's arrival time, not the worker's skewed clock", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START, {}, -3600));
    assert.equal(live(s.reg, "w1@vm").status, "online");
  });

  test("worker-offline: offline at once, whatever the heartbeat; a new heartbeat brings it back", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START));
    s.reg.applyEvent(wev("worker-offline", "w1@vm", START + 100));
    assert.deepEqual(live(s.reg, "w1@vm"), { status: "offline", busy: false, detail: "shut down (sent worker-offline)" });
    assert.equal(s.reg.get("w1@vm")!.offlineAt, START + 100);
    s.reg.applyEvent(wev("worker-online", "w1@vm", START + 5000));
    assert.equal(live(s.reg, "w1@vm").status, "online");
    assert.equal(s.reg.get("w1@vm")!.onlineAt, START + 5000);
    assert.equal(s.reg.get("w1@vm")!.offlineAt, null);
  });

  test("a busy solo worker (no heartbeat, a task running) is online and busy, naming the task", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "solo1@vm", START));
    s.reg.setPool("solo1@vm", "solo");
    s.running.set("solo1@vm", [{ id: "d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e", name: "panel_fixture.slow", started: START + 500 }]);
    s.at(START + 30_000);
    assert.deepEqual(live(s.reg, "solo1@vm"), {
      status: "online",
      busy: true,
      detail: "busy running panel_fixture.slow (d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e); a solo worker sends no heartbeat while a task runs",
    });
    s.running.set("solo1@vm", [{ id: "x1", name: null, started: null }]);
    assert.match(live(s.reg, "solo1@vm").detail!, /^busy running a task \(x1\)/);
  });

  test("a busy solo worker running ten times longer than its task usually takes is named a suspect", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "solo1@vm", START));
    s.reg.setPool("solo1@vm", "solo");
    s.running.set("solo1@vm", [{ id: "t1", name: "app.quick", started: START }]);
    s.typical.set("app.quick", 2);
    s.at(START + 60_000);
    assert.doesNotMatch(live(s.reg, "solo1@vm").detail!, /may be dead/, "not before a minute, however quick the task");
    s.at(START + 61_000);
    const l = live(s.reg, "solo1@vm");
    assert.equal(l.status, "online", "still online: nothing on the wire says it died");
    assert.match(l.detail!, /run for 61 s where this task usually takes 2 s \(p95\): the worker may be dead$/);
    s.typical.set("app.quick", 30);
    assert.doesNotMatch(live(s.reg, "solo1@vm").detail!, /may be dead/, "a task that often runs 30 s: 61 s is not suspect");
    s.typical.delete("app.quick");
    assert.doesNotMatch(live(s.reg, "solo1@vm").detail!, /may be dead/, "no history of the task: no guess");
  });

  test("the busy rule is for solo pools only, and needs a running task", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "pre@vm", START));
    s.reg.applyEvent(wev("worker-heartbeat", "solo2@vm", START));
    s.reg.setPool("pre@vm", "prefork");
    s.reg.setPool("solo2@vm", "solo");
    s.reg.setPool("solo2@vm", null); // a stats reply without a recognisable pool does not forget it
    s.running.set("pre@vm", [{ id: "x1", name: "a", started: null }]);
    s.at(START + 30_000);
    assert.equal(live(s.reg, "pre@vm").status, "offline", "a prefork worker keeps heartbeating while busy: silence means dead");
    assert.equal(live(s.reg, "solo2@vm").status, "offline", "solo, but nothing running");
    assert.equal(s.reg.pools.get("solo2@vm"), "solo");
  });

  test("known only from a remote-control binding: offline, saying so", () => {
    const s = setup();
    s.reg.applyBindings(["ghost@vm"]);
    const w = s.reg.get("ghost@vm")!;
    assert.equal(w.bindingOnly, true);
    assert.deepEqual(s.reg.liveness(w), { status: "offline", busy: false, detail: "has a remote-control binding but has not been heard from" });
  });

  test("a remote-control answer counts as a sign of life", () => {
    const s = setup();
    s.reg.applyBindings(["quiet@vm"]);
    s.reg.answered("quiet@vm", START);
    assert.equal(live(s.reg, "quiet@vm").status, "online");
    s.at(START + 4001);
    assert.equal(live(s.reg, "quiet@vm").status, "offline");
  });

  test("task-sent events do not create workers (they come from producers)", () => {
    const s = setup();
    s.reg.applyEvent({ ...wev("task-sent", "web-1@host", START, { uuid: "u1", name: "a" }) });
    assert.equal(s.reg.get("web-1@host"), undefined);
    assert.deepEqual(s.reg.all(), []);
  });

  test("other task events do make the worker known", () => {
    const s = setup();
    s.reg.applyEvent(wev("task-received", "w9@vm", START, { uuid: "u1" }));
    const w = s.reg.get("w9@vm")!;
    assert.equal(w.bindingOnly, false);
    assert.equal(w.lastEventTimestamp, START / 1000);
  });

  test("a worker's task event is a sign of life, as in Celery's State", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "solo1@vm", START));
    s.reg.setPool("solo1@vm", "solo");
    s.at(START + 30_000);
    s.reg.applyEvent(wev("task-succeeded", "solo1@vm", START + 30_000, { uuid: "u1", runtime: 29.9 }));
    assert.equal(live(s.reg, "solo1@vm").status, "online");
  });

  test("heartbeat fields are kept", () => {
    const s = setup();
    s.reg.applyEvent(
      wev("worker-heartbeat", "w1@vm", START, {
        active: 2,
        processed: 117,
        loadavg: [0.5, 0.25, "x", 0.1],
        sw_ident: "py-celery",
        sw_ver: "5.2.6",
        sw_sys: "Linux",
        pid: 7513,
      }),
    );
    const w = s.reg.get("w1@vm")!;
    assert.deepEqual(
      {
        active: w.active,
        processed: w.processed,
        loadavg: w.loadavg,
        swIdent: w.swIdent,
        swVer: w.swVer,
        swSys: w.swSys,
        pid: w.pid,
        lastHeartbeat: w.lastHeartbeat,
      },
      { active: 2, processed: 117, loadavg: [0.5, 0.25, 0.1], swIdent: "py-celery", swVer: "5.2.6", swSys: "Linux", pid: 7513, lastHeartbeat: START },
    );
    // A later heartbeat without some fields keeps the earlier values.
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START + 2000, { active: 0 }));
    assert.equal(s.reg.get("w1@vm")!.processed, 117);
    assert.equal(s.reg.get("w1@vm")!.active, 0);
  });

  test("responsive(): online and not busy only", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-heartbeat", "ok@vm", START + 29_000));
    s.reg.applyEvent(wev("worker-heartbeat", "busy@vm", START));
    s.reg.setPool("busy@vm", "solo");
    s.running.set("busy@vm", [{ id: "t", name: "x", started: null }]);
    s.reg.applyEvent(wev("worker-heartbeat", "dead@vm", START));
    s.reg.applyEvent(wev("worker-heartbeat", "gone@vm", START + 29_000));
    s.reg.applyEvent(wev("worker-offline", "gone@vm", START + 29_500));
    s.reg.applyBindings(["ghost@vm"]);
    s.at(START + 30_000);
    assert.deepEqual([...s.reg.responsive()], ["ok@vm"]);
  });

  test("onChange fires for events and for the first answer of a binding-only worker", () => {
    const s = setup();
    const seen: string[] = [];
    s.reg.onChange((w: WorkerState) => seen.push(w.name));
    s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START));
    s.reg.applyBindings(["b@vm"]);
    s.reg.answered("b@vm", START);
    s.reg.answered("w1@vm", START);
    assert.deepEqual(seen, ["w1@vm", "b@vm"]);
  });
});

describe("WorkerRegistry: clock skew", () => {
  test("a worker clock 30 s ahead: median of heartbeats, robust to an outlier", () => {
    const s = setup();
    const offsets = [30.02, 29.98, 30.0, 95.0, 30.01];
    for (const [i, o] of offsets.entries()) s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", START + i * 2000, {}, o));
    assert.equal(s.reg.get("w1@vm")!.clockSkew, 30.01);
  });

  test("only the last 9 samples count", () => {
    const s = setup();
    let t = START;
    const heartbeat = (offset: number) => {
      t += 2000;
      s.reg.applyEvent(wev("worker-heartbeat", "w1@vm", t, {}, offset));
    };
    for (let i = 0; i < 9; i++) heartbeat(30);
    assert.equal(s.reg.get("w1@vm")!.clockSkew, 30);
    for (let i = 0; i < 4; i++) heartbeat(0);
    assert.equal(s.reg.get("w1@vm")!.clockSkew, 30, "5 of 9 samples still say 30");
    heartbeat(0);
    assert.equal(s.reg.get("w1@vm")!.clockSkew, 0, "now 5 of 9 say 0");
  });

  test("task events do not feed the skew estimate; clocks behind give a negative skew", () => {
    const s = setup();
    s.reg.applyEvent(wev("worker-online", "w1@vm", START, {}, -12.5));
    s.reg.applyEvent(wev("task-succeeded", "w1@vm", START + 1000, { uuid: "u" }, 500));
    assert.equal(s.reg.get("w1@vm")!.clockSkew, -12.5);
  });
});

describe("poolKind on real stats shapes", () => {
  const writes = { total: 12, avg: "50.00%", all: "50.00%, 50.00%", raw: "6, 6", strategy: "fair", inqueues: { total: 2, active: 0 } };

  test("prefork", () => {
    const stats = {
      pid: 7513,
      pool: { "max-concurrency": 2, processes: [7519, 7520], "max-tasks-per-child": "N/A", "put-guarded-by-semaphore": false, timeouts: [50, 60], writes },
    };
    assert.equal(poolKind(stats), "prefork");
    assert.equal(poolKind({ pid: 7513, pool: { "max-concurrency": 1, processes: [7519], writes } }), "prefork", "prefork with one child: the pid differs");
  });

  test("solo", () => {
    const stats = { pid: 7514, pool: { "max-concurrency": 1, processes: [7514], "max-tasks-per-child": null, "put-guarded-by-semaphore": true, timeouts: [] } };
    assert.equal(poolKind(stats), "solo");
  });

  test("gevent (runs in the worker process, concurrency > 1)", () => {
    assert.equal(
      poolKind({ pid: 8000, pool: { "max-concurrency": 100, processes: [8000], "max-tasks-per-child": null, "put-guarded-by-semaphore": true, timeouts: [] } }),
      "gevent",
    );
  });

  test("threads", () => {
    assert.equal(poolKind({ pid: 9000, pool: { "max-concurrency": 4, threads: 2 } }), "threads");
  });

  test("eventlet", () => {
    assert.equal(poolKind({ pid: 9100, pool: { "max-concurrency": 1000, "free-threads": 998, "running-threads": 2 } }), "eventlet");
  });

  test("unknown shapes", () => {
    assert.equal(poolKind({ pid: 1, pool: { "max-concurrency": 3 } }), "custom");
    assert.equal(poolKind({ pid: 1 }), null);
    assert.equal(poolKind({ pool: "solo" }), null);
    assert.equal(poolKind(null), null);
    assert.equal(poolKind("stats"), null);
  });
});

describe("workerTask", () => {
  const ACTIVE = {
    id: "d4de7b93-5c0e-4c43-9d4f-7a1e2b3c4d5e",
    name: "panel_fixture.slow",
    args: [30],
    kwargs: { label: "nightly" },
    type: "panel_fixture.slow",
    hostname: "w1@vm",
    time_start: 1795558020.25,
    acknowledged: true,
    delivery_info: { exchange: "", routing_key: "celery", priority: 0, redelivered: false },
    worker_pid: 7519,
  };

  test("an `inspect active` entry", () => {
    assert.deepEqual(workerTask(ACTIVE), {
      id: ACTIVE.id,
      name: "panel_fixture.slow",
      args: "[30]",
      kwargs: '{"label":"nightly"}',
      started: "2026-11-24T22:07:00.250Z",
      eta: null,
      priority: 0,
      queue: "celery",
      acknowledged: true,
      worker_pid: 7519,
    });
  });

  test("an `inspect scheduled` entry: the request is wrapped, eta and priority outside", () => {
    const entry = { eta: "2026-11-24T22:10:00.000000+00:00", priority: 6, request: { ...ACTIVE, time_start: null, acknowledged: false, worker_pid: null } };
    assert.deepEqual(workerTask(entry), {
      id: ACTIVE.id,
      name: "panel_fixture.slow",
      args: "[30]",
      kwargs: '{"label":"nightly"}',
      started: null,
      eta: "2026-11-24T22:10:00.000000+00:00",
      priority: 6,
      queue: "celery",
      acknowledged: false,
      worker_pid: null,
    });
  });

  test("older shapes: repr args, name only in `type`, no delivery info", () => {
    const t = workerTask({ id: "x1", type: "app.add", args: "(2, 3)", kwargs: "{}" })!;
    assert.equal(t.name, "app.add");
    assert.equal(t.args, "(2, 3)");
    assert.equal(t.kwargs, "{}");
    assert.equal(t.queue, null);
    assert.equal(t.priority, null);
    assert.equal(t.acknowledged, null);
  });

  test("long args are cut to a preview", () => {
    const t = workerTask({ id: "x1", args: ["x".repeat(500)] })!;
    assert.equal((t.args as string).length, 200);
    assert.ok((t.args as string).endsWith("…"));
  });

  test("no id or not an object -> null; workerTasks drops those", () => {
    assert.equal(workerTask({ name: "a" }), null);
    assert.equal(workerTask({ request: { name: "a" } }), null);
    assert.equal(workerTask(null), null);
    assert.equal(workerTask("x1"), null);
    assert.deepEqual(
      workerTasks([ACTIVE, null, { name: "no id" }]).map((t) => t.id),
      [ACTIVE.id],
    );
    assert.deepEqual(workerTasks({ "w1@vm": [ACTIVE] }), []);
  });
});
