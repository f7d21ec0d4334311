// The Configuration view's truth: values in words (agent/sources/config-display.ts), disagreements
// compared as sets where order means nothing, settings Celery hid, and what the events show
// (agent/sources/config.ts, config-observed.ts).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { groupConfig } from "../../agent/handlers/present/config";
import { canonicalSetting, configDifferences } from "../../agent/sources/config";
import { displaySetting, formatDuration, parseTimedelta } from "../../agent/sources/config-display";
import { EventsObserved, observeRoutes, observeSentEvents, observeTaskEvents } from "../../agent/sources/config-observed";
import { MASK } from "../../agent/base/mask";
import type { CeleryEvent } from "../../agent/protocol/events";

const workers = (o: Record<string, Record<string, unknown>>) => new Map(Object.entries(o));

describe("configDifferences", () => {
  test("include, imports, accept_content and task_queues in another order are no disagreement", () => {
    const q1 = { name: "a", routing_key: "a" };
    const q2 = { name: "b", routing_key: "b" };
    const diff = configDifferences(
      workers({
        "w1@h": {
          include: ["proj.a", "proj.b"],
          imports: ["x", "y"],
          accept_content: ["json", "pickle"],
          task_queues: [q1, q2],
          deprecated_settings: "{'A', 'B'}",
        },
        "w2@h": {
          include: ["proj.b", "proj.a"],
          imports: ["y", "x"],
          accept_content: ["pickle", "json"],
          task_queues: [q2, q1],
          deprecated_settings: "{'B', 'A'}",
        },
      }),
    );
    assert.deepEqual(diff, []);
  });

  test("dict key order is no disagreement, except in task_routes where the first matching glob wins", () => {
    const diff = configDifferences(
      workers({
        "w1@h": { broker_transport_options: { a: 1, b: 2 }, task_routes: { "x.*": { queue: "q1" }, "x.y": { queue: "q2" } } },
        "w2@h": { broker_transport_options: { b: 2, a: 1 }, task_routes: { "x.y": { queue: "q2" }, "x.*": { queue: "q1" } } },
      }),
    );
    assert.deepEqual(
      diff.map((d) => d.key),
      ["task_routes"],
    );
  });

  test("order-sensitive lists and really different sets still disagree", () => {
    const diff = configDifferences(
      workers({
        "w1@h": { broker_url: ["redis://a", "redis://b"], include: ["proj.a"], task_annotations: [{ a: 1 }, { b: 2 }] },
        "w2@h": { broker_url: ["redis://b", "redis://a"], include: ["proj.a", "proj.b"], task_annotations: [{ b: 2 }, { a: 1 }] },
      }),
    );
    assert.deepEqual(
      diff.map((d) => d.key),
      ["broker_url", "include", "task_annotations"],
    );
  });

  test("canonicalSetting treats a repeated module as the same set", () => {
    assert.equal(canonicalSetting("include", ["a", "b", "a"]), canonicalSetting("include", ["b", "a"]));
  });
});

describe("displaySetting", () => {
  test("units: seconds, milliseconds, kilobytes, counts", () => {
    assert.equal(displaySetting("task_time_limit", 60), "60 s");
    assert.equal(displaySetting("task_soft_time_limit", 3600), "3600 s (1 h)");
    assert.equal(displaySetting("broker_connection_timeout", 4), "4 s");
    assert.equal(displaySetting("event_queue_ttl", 5.0), "5 s");
    assert.equal(displaySetting("result_backend_max_sleep_between_retries_ms", 10000), "10000 ms (10 s)");
    assert.equal(displaySetting("result_backend_base_sleep_between_retries_ms", 10), "10 ms");
    assert.equal(displaySetting("worker_max_memory_per_child", 204800), "204800 KiB (200 MiB)");
    assert.equal(displaySetting("worker_prefetch_multiplier", 4), "4 messages per process");
    assert.equal(displaySetting("broker_pool_limit", 10), "10 connections");
  });

  test("what None and other special values mean", () => {
    assert.equal(displaySetting("task_time_limit", null), "no limit");
    assert.equal(displaySetting("worker_concurrency", null), "one per CPU");
    assert.equal(displaySetting("result_cache_max", -1), "off");
    assert.equal(displaySetting("result_expires", null), "never");
    assert.equal(displaySetting("task_default_delivery_mode", 2), "2 (persistent)");
    assert.equal(displaySetting("broker_host", null), "not set");
  });

  test("Python reprs: timedelta, set(), {}, [], set of names", () => {
    assert.equal(displaySetting("result_expires", "1 day, 0:00:00"), "1 day");
    assert.equal(displaySetting("some_interval", "0:05:00"), "5 min");
    assert.equal(displaySetting("x", "2 days, 3:04:05.500000"), "2 days 3 h 4 min 5.5 s");
    assert.equal(displaySetting("deprecated_settings", "set()"), "none (empty set)");
    assert.equal(displaySetting("deprecated_settings", "{'CELERY_RESULT_BACKEND', 'BROKER_URL'}"), "CELERY_RESULT_BACKEND, BROKER_URL");
    assert.equal(displaySetting("cache_backend_options", {}), "none (empty)");
    assert.equal(displaySetting("include", []), "none (empty list)");
    assert.equal(displaySetting("accept_content", ["json", "pickle"]), "json, pickle");
  });

  test("values that read well are left alone", () => {
    assert.equal(displaySetting("timezone", "UTC"), undefined);
    assert.equal(displaySetting("task_acks_late", false), undefined);
    assert.equal(displaySetting("task_default_priority", 0), undefined);
    assert.equal(displaySetting("broker_transport_options", { visibility_timeout: 3600 }), undefined);
  });

  test("parseTimedelta / formatDuration", () => {
    assert.equal(parseTimedelta("1 day, 0:00:00"), 86400);
    assert.equal(parseTimedelta("-1 day, 23:59:59"), -1);
    assert.equal(parseTimedelta("not a duration"), null);
    assert.equal(formatDuration(90), "1 min 30 s");
    assert.equal(formatDuration(0.5), "0.5 s");
  });
});

describe("groupConfig", () => {
  const all = {
    task_default_routing_key: MASK,
    cassandra_keyspace: MASK,
    database_table_names: MASK,
    broker_password: MASK,
    task_time_limit: 60,
    result_expires: "1 day, 0:00:00",
    timezone: "UTC",
  };
  const settings = (nonDefault: Record<string, unknown>) => new Map(groupConfig(all, nonDefault).flatMap((g) => g.settings.map((s) => [s.key, s] as const)));

  test("names Celery hid show Celery's default when at their default; secrets stay masked", () => {
    const s = settings({ task_time_limit: 60, timezone: "UTC" });
    assert.equal(s.get("task_default_routing_key")!.value, null);
    assert.equal(s.get("task_default_routing_key")!.display, "not set: the default queue's name");
    assert.equal(s.get("cassandra_keyspace")!.value, null);
    assert.equal(s.get("database_table_names")!.value, null);
    assert.equal(s.get("broker_password")!.value, MASK);
    assert.equal(s.get("broker_password")!.hidden_by_celery, undefined);
    assert.equal(s.get("task_time_limit")!.display, "60 s");
    assert.equal(s.get("result_expires")!.display, "1 day");
    assert.equal(s.get("result_expires")!.value, "1 day, 0:00:00");
  });

  test("a routing_key Celery masked inside task_routes is said to be hidden by Celery; a secret is not", () => {
    const groups = groupConfig({ task_routes: { "a.*": { queue: "q", routing_key: MASK } }, beat_schedule: { x: { kwargs: { api_token: MASK } } } }, {});
    const s = new Map(groups.flatMap((g) => g.settings.map((x) => [x.key, x] as const)));
    assert.equal(s.get("task_routes")!.hidden_by_celery, true);
    assert.equal(s.get("beat_schedule")!.hidden_by_celery, undefined);
  });

  test("set to something else, they stay masked and say Celery hid them", () => {
    const s = settings({ task_default_routing_key: MASK, database_table_names: MASK });
    assert.equal(s.get("task_default_routing_key")!.value, MASK);
    assert.equal(s.get("task_default_routing_key")!.hidden_by_celery, true);
    assert.equal(s.get("database_table_names")!.hidden_by_celery, true);
  });
});

describe("events observed", () => {
  let clock = 0;
  const event = (type: string, hostname: string, fields: Record<string, unknown> = {}): CeleryEvent => ({
    type,
    hostname,
    timestamp: 0,
    receivedAt: ++clock,
    utcoffset: 0,
    clock: null,
    pid: 1,
    fields,
  });

  test("task events per worker say who sends them, whatever worker_send_task_events says", () => {
    const obs = new EventsObserved();
    assert.equal(observeTaskEvents(obs, ["a@h", "b@h"]).value, null);
    obs.apply(event("worker-heartbeat", "a@h"));
    obs.apply(event("task-received", "a@h"));
    const mixed = observeTaskEvents(obs, ["a@h", "b@h"]);
    assert.equal(mixed.value, null);
    assert.deepEqual(mixed.workers, { "a@h": true, "b@h": null });
    obs.apply(event("task-succeeded", "b@h"));
    assert.equal(observeTaskEvents(obs, ["a@h", "b@h"]).value, true);
    // Restarted (perhaps without -E): to be seen again.
    obs.apply(event("worker-online", "b@h"));
    assert.deepEqual(observeTaskEvents(obs, ["a@h", "b@h"]).workers, { "a@h": true, "b@h": null });
  });

  test("task-sent events: who sends them, and the routing keys tasks went out with", () => {
    const obs = new EventsObserved();
    assert.equal(observeSentEvents(obs).value, null);
    obs.apply(event("task-sent", "web@h", { name: "proj.encode", routing_key: "media.encode", queue: "media", exchange: "media" }));
    obs.apply(event("task-sent", "web@h", { name: "proj.other", routing_key: "celery", queue: "celery", exchange: "" }));
    assert.equal(observeSentEvents(obs).value, true);
    const routes = observeRoutes(obs, { "proj.enc*": { queue: "media", routing_key: MASK } })!;
    assert.deepEqual(routes.value, { "proj.encode": [{ queue: "media", exchange: "media", routing_key: "media.encode" }] });
    assert.match(routes.detail, /proj\.encode → media\.encode \(exchange media, queue media\)/);
  });
});
