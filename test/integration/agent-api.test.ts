/**
 * Every endpoint against real Celery workers: what the agent returns must be what the workers did.
 * Each response is also checked against the zod contract the extension validates with.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EndpointName } from "../../agent/api/schema";
import { eventually, letTimePass, stopAll } from "../harness/deployment";
import { contractGet } from "../harness/contract";
import { REDIS_PASSWORD, SECRET_SETTING, startScenario, type Scenario } from "../harness/scenario";
import { recordEventStream } from "../harness/event-stream";

let s: Scenario;
let ids: { add: string; fail: string; flaky: string; video: string; audit: string; parked: string[]; revoked: string };

const api = <T = any>(name: EndpointName, path: string, status = 200): Promise<T> => contractGet<T>(s.agent, name, path, status);

before(async () => {
  s = await startScenario();
  const out = await s.python(`
import json, time
import panel_fixture as p
from celery.result import AsyncResult
ids = {}
ids["add"] = p.add.delay(2, 3).id
ids["fail"] = p.fail.delay("boom-marker").id
ids["flaky"] = p.flaky.delay().id
ids["video"] = p.encode_video.apply_async((7,), {"quality": "uhd-marker"}, priority=5).id
ids["audit"] = p.audit_login.delay("ann").id
# Nobody consumes "parked": these stay queued, one per priority step.
ids["parked"] = [p.add.apply_async((i, i), queue="parked", priority=pr).id for i, pr in enumerate([0, 5, 9])]
long = p.sleep_for.apply_async((30,), queue="media")
deadline = time.time() + 20
while AsyncResult(long.id, app=p.app).state != "STARTED" and time.time() < deadline:
    time.sleep(0.1)
p.app.control.revoke(long.id, terminate=True)
ids["revoked"] = long.id
for key in ["add", "fail", "flaky", "video", "audit", "revoked"]:
    r = AsyncResult(ids[key], app=p.app)
    deadline = time.time() + 20
    while not r.ready() and time.time() < deadline:
        time.sleep(0.1)
print(json.dumps(ids))
`);
  ids = JSON.parse(out.trim().split("\n").pop()!);
  // Worker facts such as sw_ver come with heartbeats; the workers were up before the agent.
  await eventually(
    async () => {
      const r = await s.agent.get<any>("/api/v1/workers");
      // A worker may miss one broadcast while busy for a moment (the terminated task's pool slot is
      // being replaced): it is asked again, and its stats come in.
      return r.body.workers?.filter((w: any) => w.sw_ver && w.pool).length === 2;
    },
    15_000,
    "a heartbeat and stats from both workers",
  );
  // The agent hears about every task through events and the backend's publish.
  await eventually(
    async () => {
      const r = await s.agent.get<any>(`/api/v1/tasks/${ids.revoked}`);
      return r.status === 200 && r.body.state === "REVOKED";
    },
    15_000,
    "revoked task known to the agent",
  );
});

after(async () => {
  await stopAll();
  await s?.redis.destroy();
});

describe("health", () => {
  it("reports both connections, events and the tasks held", async () => {
    const h = await api("health", "health");
    assert.equal(h.agent.name, "test-agent");
    assert.equal(h.broker.state, "connected");
    assert.equal(h.result_backend.state, "connected");
    assert.match(h.broker.url, /^redis:\/\/:\*{8}@127\.0\.0\.1:\d+\/0$/);
    assert.ok(h.last_event_at, "an event was received");
    assert.ok(h.tasks_held >= 9, `tasks held: ${h.tasks_held}`);
    assert.equal(h.backfill.state, "done");
  });
});

describe("workers", () => {
  it("lists both real workers with their pools, concurrency and version", async () => {
    const { workers } = await api("workers", "workers");
    const w1 = workers.find((w: any) => w.name === "w1@panel");
    const solo = workers.find((w: any) => w.name === "solo1@panel");
    assert.ok(w1 && solo, `workers: ${workers.map((w: any) => w.name)}`);
    assert.equal(w1.status, "online");
    assert.equal(w1.pool, "prefork");
    assert.equal(w1.concurrency, 2);
    assert.equal(solo.pool, "solo");
    assert.equal(solo.concurrency, 1);
    assert.equal(w1.sw_ver, "5.2.6");
    assert.equal(w1.hostname, "panel");
    assert.deepEqual(w1.queues.sort(), ["audit", "celery", "media"]);
    assert.ok(w1.last_heartbeat && solo.last_heartbeat);
    assert.equal(w1.loadavg.length, 3);
    assert.equal(w1.pid, s.workers.get("w1@panel")!.pid);
  });

  it("shows one worker in full, matching what Celery's own inspect says", async () => {
    const stats = JSON.parse(
      (await s.python(`import json, panel_fixture as p; print(json.dumps(p.app.control.inspect(destination=["w1@panel"], timeout=2).stats()))`)).trim(),
    )["w1@panel"];
    const w = await api("worker", "workers/w1@panel");
    assert.deepEqual(w.total, stats.total);
    assert.equal(w.prefetch_count, stats.prefetch_count);
    assert.deepEqual(w.pool_processes, stats.pool.processes);
    assert.ok(w.rusage.utime > 0 && w.rusage.maxrss_kb > 0);
    assert.ok(w.registered.includes("panel_fixture.fail") && w.registered.includes("panel_fixture.encode_video"));
    assert.deepEqual(w.active_queues.map((q: any) => q.name).sort(), ["audit", "celery", "media"]);
    const media = w.active_queues.find((q: any) => q.name === "media");
    assert.equal(media.max_priority, 9);
    assert.equal(w.active_queues.find((q: any) => q.name === "audit").exchange_type, "topic");
    assert.ok(w.revoked_tasks.includes(ids.revoked), "the revoked task is in the worker's revoked list");
    assert.equal(w.broker.port, s.redis.port);
    assert.deepEqual(w.notes, []);
  });

  it("answers 404 with a message for an unknown worker", async () => {
    const body = await api("worker", "workers/nobody@nowhere", 404);
    assert.equal(body.error.code, "not_found");
    assert.match(body.error.message, /nobody@nowhere/);
  });

  it("returns early: broadcasts end when every live worker has answered", async () => {
    await api("worker", "workers/w1@panel");
    await api("workers", "workers");
    const h = await api("health", "health");
    assert.ok(h.remote_control.broadcasts > 0);
    assert.ok(h.remote_control.early >= h.remote_control.broadcasts - 2, JSON.stringify(h.remote_control));
  });
});

describe("tasks", () => {
  it("lists every task newest first with states from the workers", async () => {
    const list = await api("tasks", "tasks?limit=100");
    const byId = new Map<string, any>(list.tasks.map((t: any) => [t.id, t]));
    assert.equal(byId.get(ids.add).state, "SUCCESS");
    assert.equal(byId.get(ids.add).result, "5");
    assert.deepEqual(byId.get(ids.add).args, "[2,3]");
    assert.equal(byId.get(ids.fail).state, "FAILURE");
    assert.equal(byId.get(ids.fail).exception, "ValueError('boom-marker')");
    assert.equal(byId.get(ids.revoked).state, "REVOKED");
    assert.equal(byId.get(ids.video).queue, "media");
    assert.equal(byId.get(ids.audit).queue, "audit");
    for (const p of ids.parked) assert.equal(byId.get(p).state, "PENDING");
    const received = list.tasks.map((t: any) => Date.parse(t.received ?? t.sent));
    assert.deepEqual(
      received,
      [...received].sort((a: number, b: number) => b - a),
      "newest first",
    );
    assert.equal(list.total, list.tasks.length);
  });

  it("filters by state, name, worker and queue, and searches text", async () => {
    const failed = await api("tasks", "tasks?state=FAILURE");
    assert.deepEqual(
      failed.tasks.map((t: any) => t.id),
      [ids.fail],
    );
    const two = await api("tasks", "tasks?state=failure,revoked");
    assert.deepEqual(two.tasks.map((t: any) => t.id).sort(), [ids.fail, ids.revoked].sort());
    const byName = await api("tasks", "tasks?name=panel_fixture.encode_video");
    assert.deepEqual(
      byName.tasks.map((t: any) => t.id),
      [ids.video],
    );
    const byQueue = await api("tasks", "tasks?queue=parked");
    assert.deepEqual(byQueue.tasks.map((t: any) => t.id).sort(), [...ids.parked].sort());
    const onW1 = await api("tasks", "tasks?worker=w1@panel");
    assert.ok(onW1.tasks.every((t: any) => t.worker === "w1@panel") && onW1.total >= 2);
    const search = await api("tasks", "tasks?q=UHD-MARKER");
    assert.deepEqual(
      search.tasks.map((t: any) => t.id),
      [ids.video],
      "kwargs are searched, case-insensitively",
    );
    const byException = await api("tasks", "tasks?q=boom-marker");
    assert.deepEqual(
      byException.tasks.map((t: any) => t.id),
      [ids.fail],
    );
    // A time range relative to now: every task here was received in the last hour, none before it.
    const all = await api("tasks", "tasks?limit=500");
    assert.ok(all.total > 0);
    assert.equal((await api("tasks", "tasks?limit=500&since=-1h")).total, all.total);
    assert.equal((await api("tasks", "tasks?limit=500&until=-1h")).total, 0);
    const first = all.tasks.find((t: any) => t.received);
    const later = await api("tasks", `tasks?limit=500&since=${new Date(Date.parse(first.received) + 1).toISOString()}`);
    assert.ok(later.total < all.total && later.tasks.every((t: any) => t.id !== first.id), "an absolute since excludes what came before it");
  });

  it("paginates with a cursor: every task once, in order", async () => {
    const all = await api("tasks", "tasks?limit=500");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api("tasks", `tasks?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      assert.ok(page.tasks.length <= 2);
      assert.equal(page.total, all.total);
      seen.push(...page.tasks.map((t: any) => t.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.tasks.map((t: any) => t.id),
    );
  });

  it("sorts by runtime", async () => {
    const list = await api("tasks", "tasks?sort=runtime&order=desc&state=SUCCESS,REVOKED,FAILURE");
    const runtimes = list.tasks.map((t: any) => t.runtime ?? -1);
    assert.deepEqual(
      runtimes,
      [...runtimes].sort((a: number, b: number) => b - a),
    );
  });

  it("refuses bad query parameters with a message naming them", async () => {
    for (const [q, param] of [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["state=DONE", "state"],
      ["sort=name", "sort"],
      ["since=yesterday", "since"],
      ["until=-3y", "until"],
      ["bogus=1", "bogus"],
      ["cursor=xyz", "cursor"],
    ]) {
      const body = await api("tasks", `tasks?${q}`, 400);
      assert.equal(body.error.code, "bad_request");
      assert.match(body.error.message, new RegExp(param!), `${q}: ${body.error.message}`);
    }
  });

  it("shows a failed task in full: exception, traceback, timeline", async () => {
    const t = await api("task", `tasks/${ids.fail}`);
    assert.equal(t.state, "FAILURE");
    assert.deepEqual(t.exception_info, { type: "ValueError", message: "boom-marker", module: "builtins" });
    assert.match(t.traceback, /Traceback \(most recent call last\)[\s\S]*ValueError: boom-marker/);
    assert.deepEqual(t.args_value, { format: "json", value: ["boom-marker"] });
    assert.deepEqual(t.time_limit, { soft: 50, hard: 60 });
    const types = t.timeline.map((e: any) => e.type);
    for (const ty of ["task-sent", "task-received", "task-started", "task-failed", "backend-failure"]) assert.ok(types.includes(ty), `${ty} in ${types}`);
    assert.deepEqual(t.sources, ["events", "result_backend"]);
  });

  it("shows retries of a task that succeeded on its third attempt", async () => {
    const t = await api("task", `tasks/${ids.flaky}`);
    assert.equal(t.state, "SUCCESS");
    assert.equal(t.retries, 2);
    assert.deepEqual(t.result_value, { format: "json", value: "ok after 2 retries" });
    assert.equal(t.timeline.filter((e: any) => e.type === "task-retried").length, 2);
    assert.equal(t.parent_id, null, "a retry is not its own parent");
  });

  it("answers 404 for an unknown task and 400 for a malformed id", async () => {
    const missing = await api("task", "tasks/00000000-0000-0000-0000-000000000000", 404);
    assert.equal(missing.error.code, "not_found");
    const bad = await api("task", `tasks/${encodeURIComponent("<script>")}`, 400);
    assert.equal(bad.error.code, "bad_request");
  });
});

describe("queues", () => {
  it("merges bindings, active queues and task_queues, with depths per priority", async () => {
    const { queues } = await api("queues", "queues");
    const byName = new Map<string, any>(queues.map((q: any) => [q.name, q]));
    assert.deepEqual([...byName.keys()].sort(), ["audit", "celery", "media", "parked", "slowlane"]);
    const parked = byName.get("parked");
    assert.equal(parked.messages, 3);
    assert.deepEqual(parked.messages_by_priority, [
      { priority: 0, messages: 1 },
      { priority: 3, messages: 1 },
      { priority: 6, messages: 0 },
      { priority: 9, messages: 1 },
    ]);
    assert.deepEqual(parked.consumers, [], "nobody consumes parked, and it is still listed");
    const celery = byName.get("celery");
    assert.deepEqual(celery.consumers.map((c: any) => c.worker).sort(), ["solo1@panel", "w1@panel"]);
    assert.ok(celery.consumers.every((c: any) => c.online && c.prefetch_count > 0));
    const audit = byName.get("audit");
    assert.equal(audit.exchange, "audit");
    assert.equal(audit.exchange_type, "topic");
    assert.equal(audit.routing_key, "audit.#");
    assert.equal(byName.get("media").max_priority, 9);
    assert.ok(audit.declared_in.includes("broker") && audit.declared_in.includes("workers") && audit.declared_in.includes("config"));
    assert.equal(celery.unacked, 0);
  });

  it("shows one queue with the tasks routed to it", async () => {
    const q = await api("queue", "queues/media");
    assert.deepEqual(
      q.routed_tasks.map((r: any) => r.pattern),
      ["panel_fixture.encode_video"],
    );
    assert.ok(q.recent_tasks.some((t: any) => t.id === ids.video));
    const missing = await api("queue", "queues/no-such-queue", 404);
    assert.match(missing.error.message, /no-such-queue/);
  });
});

describe("config", () => {
  it("groups the workers' settings and masks every secret", async () => {
    const c = await api("config", "config");
    const setting = (key: string) => c.groups.flatMap((g: any) => g.settings).find((x: any) => x.key === key);
    assert.equal(setting("payment_api_key").value, "********");
    assert.equal(setting("task_time_limit").value, 60);
    assert.equal(setting("task_time_limit").is_default, false);
    assert.equal(setting("worker_prefetch_multiplier").is_default, true);
    assert.match(setting("broker_url").value, /^redis:\/\/:\*{8}@/);
    assert.ok(c.groups.find((g: any) => g.id === "routing").settings.some((x: any) => x.key === "task_routes"));
    // A worker slow to answer once (the machine is busy) is asked again on a later request.
    const reporters = await eventually(
      async () => {
        const again = await api("config", "config");
        return again.reported_by.length === 2 ? again.reported_by : null;
      },
      10_000,
      "both workers report their conf",
    );
    assert.deepEqual(reporters, ["solo1@panel", "w1@panel"]);
    assert.equal(c.agent.token_required, false);
    assert.ok(c.agent.sources.some((x: any) => x.view === "tasks" && /result backend/.test(x.source)));
  });
});

describe("periodic tasks", () => {
  it("reads beat_schedule and computes schedules and next runs", async () => {
    const p = await api("periodicTasks", "periodic-tasks");
    const byName = new Map<string, any>(p.periodic_tasks.map((e: any) => [e.name, e]));
    assert.equal(byName.size, 5);
    assert.equal(byName.get("heartbeat-every-30s").schedule_kind, "interval");
    assert.equal(byName.get("heartbeat-every-30s").schedule, "every 30 seconds");
    assert.deepEqual(byName.get("heartbeat-every-30s").args, [1, 2]);
    assert.equal(byName.get("cleanup-every-5m").schedule, "every 5 minutes");
    const nightly = byName.get("nightly-report");
    assert.equal(nightly.schedule_kind, "crontab");
    assert.equal(nightly.schedule, "at 00:00 every day");
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    assert.equal(nightly.next_run, midnight.toISOString());
    assert.deepEqual(nightly.kwargs, { kind: "nightly" });
    assert.equal(byName.get("at-sunrise").schedule_kind, "solar");
    assert.match(byName.get("at-sunrise").schedule, /sunrise/);
    assert.ok(Date.parse(byName.get("at-sunrise").next_run) > Date.now());
    assert.equal(p.timezone, "UTC");
  });
});

describe("RedBeat", () => {
  it("reads RedBeat's entries with their last run, run count and next run", async () => {
    // RedBeat is not packaged for Debian: its keys are written here in its documented layout.
    const { Redis } = await import("ioredis");
    const r = new Redis({ port: s.redis.port, password: REDIS_PASSWORD, db: 0 });
    const next = Math.floor(Date.now() / 1000) + 3600;
    await r.zadd("redbeat::schedule", next, "redbeat:sync-ledger");
    await r.hset("redbeat:sync-ledger", {
      definition: JSON.stringify({
        name: "sync-ledger",
        task: "panel_fixture.report",
        schedule: { __type__: "crontab", minute: "*/15", hour: "*", day_of_week: "*", day_of_month: "*", month_of_year: "*" },
        args: [],
        kwargs: { kind: "ledger" },
        options: {},
        enabled: false,
      }),
      meta: JSON.stringify({
        last_run_at: { __type__: "datetime", year: 2026, month: 11, day: 24, hour: 21, minute: 45, second: 0, microsecond: 0 },
        total_run_count: 23,
      }),
    });
    r.disconnect();
    const p = await api("periodicTasks", "periodic-tasks");
    const e = p.periodic_tasks.find((x: any) => x.name === "sync-ledger");
    assert.ok(e, "RedBeat entry listed");
    assert.equal(e.source, "redbeat");
    assert.equal(e.enabled, false);
    assert.equal(e.total_run_count, 23);
    assert.equal(e.last_run, "2026-11-24T21:45:00.000Z");
    assert.equal(e.last_run_source, "beat store", "RedBeat's own last run is kept");
    assert.equal(e.next_run, new Date(next * 1000).toISOString());
    assert.equal(e.schedule, "every 15 minutes");
    assert.match(p.source, /RedBeat/);
  });
});

describe("coalescing", () => {
  it("answers many concurrent requests with one broadcast per method", async () => {
    await letTimePass(2100, "the cached stats (fresh 2 s) go stale");
    const before = (await api("health", "health")).remote_control.by_method;
    await Promise.all(Array.from({ length: 20 }, () => api("workers", "workers")));
    const after = (await api("health", "health")).remote_control.by_method;
    assert.equal(after.stats - before.stats, 1, `stats broadcasts: ${before.stats} -> ${after.stats}`);
  });
});

describe("overview", () => {
  it("sums up workers, tasks, queues and schedules in one request", async () => {
    const o = await api("overview", "overview");
    assert.equal(o.workers.online, 2);
    assert.equal(o.workers.offline, 0);
    assert.equal(o.tasks.last_hour.FAILURE, 1);
    assert.equal(o.tasks.last_hour.REVOKED, 1);
    assert.ok(o.tasks.last_hour.SUCCESS >= 4);
    const held = (await api("health", "health")).tasks_held;
    assert.equal(o.tasks.latest.length, Math.min(10, held));
    assert.equal(o.queues.find((q: any) => q.name === "parked").messages, 3);
    assert.ok(o.registered_tasks.includes("panel_fixture.flaky"));
    const periodic = (await api("periodicTasks", "periodic-tasks")).periodic_tasks.length;
    assert.ok(periodic >= 5);
    assert.equal(o.periodic_tasks, periodic);
    assert.equal(o.tasks.reserved, 0);
  });
});

describe("errors", () => {
  it("answers unknown paths with a JSON 404", async () => {
    const r = await s.agent.get<any>("/api/v1/nope");
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, "not_found");
  });
});

describe("live events", () => {
  it("streams task changes as they happen", async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${s.agent.url}/api/v1/events`, { signal: ctrl.signal });
    assert.equal(res.headers.get("content-type")?.split(";")[0], "text/event-stream");
    const reader = res.body!.getReader();
    const sent = s.python(`import panel_fixture as p; r = p.add.delay(40, 2); print(r.id); r.get(timeout=20)`);
    let text = "";
    const id = (await sent).trim();
    await eventually(
      async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return new RegExp(`event: task\\ndata: \\{"id":"${id}"[^\\n]*"state":"SUCCESS"`).test(text);
      },
      15_000,
      "task event on the stream",
    );
    ctrl.abort();
  });
});

describe("secrets", () => {
  it("never sends the Redis password or a secret setting, from any endpoint", async () => {
    const paths = ["health", "overview", "workers", "tasks?limit=500", "queues", "config", "periodic-tasks"];
    const { workers } = await api("workers", "workers");
    const { queues } = await api("queues", "queues");
    paths.push(...workers.map((w: any) => `workers/${w.name}`), ...queues.map((q: any) => `queues/${q.name}`));
    paths.push(
      ...Object.values(ids)
        .flat()
        .map((id) => `tasks/${id}`),
    );
    let everything = "";
    for (const p of paths) everything += JSON.stringify((await s.agent.get(`/api/v1/${p}`)).body);
    const stream = await recordEventStream(s.agent.url);
    await letTimePass(1500, "the event stream sends what it sends in a second and a half (heartbeats, health)");
    everything += await stream.stop();
    assert.ok(everything.length > 10_000);
    assert.ok(!everything.includes(REDIS_PASSWORD), "the Redis password leaked");
    assert.ok(!everything.includes(SECRET_SETTING), "a secret setting leaked");
    assert.ok(!everything.includes(encodeURIComponent(REDIS_PASSWORD)));
  });
});
