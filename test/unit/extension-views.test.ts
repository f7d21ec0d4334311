/** Pure logic behind the views: formatting, routes, the popup summary and the toolbar badge. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Overview } from "../../agent/api/schema";
import type { Agent } from "../../extension/agents/agents";
import { computeBadge, statusFromOverview, summarize, type AgentStatus } from "../../extension/background/status";
import { href, parseRoute, type Route } from "../../extension/panel/router";
import { formatAsOf, formatZone, formatDuration, formatKilobytes, formatRelative, formatValue, shortId } from "../../extension/shared/format";
import { freshnessOf, POLLED_FRESH_MS } from "../../extension/shared/freshness";

describe("formatting", () => {
  it("formats durations with the precision their size needs", () => {
    assert.equal(formatDuration(null), "—");
    assert.equal(formatDuration(0), "0 s");
    assert.equal(formatDuration(0.0004), "<1 ms");
    assert.equal(formatDuration(0.0042), "4.2 ms");
    assert.equal(formatDuration(0.25), "250 ms");
    assert.equal(formatDuration(1.2345), "1.23 s");
    assert.equal(formatDuration(42.56), "42.6 s");
    assert.equal(formatDuration(185), "3 min 5 s");
    assert.equal(formatDuration(3600), "1 h");
    assert.equal(formatDuration(3725), "1 h 2 min");
    assert.equal(formatDuration(90_061), "1 d 1 h");
  });

  it("formats times relative to now, past and future", () => {
    const now = Date.parse("2026-06-01T12:00:00Z");
    assert.equal(formatRelative("2026-06-01T11:59:58Z", now), "just now");
    assert.equal(formatRelative("2026-06-01T11:59:30Z", now), "30 s ago");
    assert.equal(formatRelative("2026-06-01T11:45:00Z", now), "15 min ago");
    assert.equal(formatRelative("2026-06-01T15:00:00Z", now), "in 3 h");
    assert.equal(formatRelative("2026-05-28T12:00:00Z", now), "4 d ago");
    assert.equal(formatRelative(null, now), "—");
    assert.equal(formatRelative("garbage", now), "garbage");
  });

  it("formats task values by their format", () => {
    assert.equal(formatValue({ format: "json", value: { a: [1, 2] } }), '{\n  "a": [\n    1,\n    2\n  ]\n}');
    assert.equal(formatValue({ format: "repr", value: "(1, 'b')" }), "(1, 'b')");
    assert.equal(formatValue({ format: "hidden", reason: "too large" }), "(hidden: too large)");
    assert.equal(formatValue(null), "—");
  });

  it("formats sizes and ids", () => {
    assert.equal(formatKilobytes(512), "512 KB");
    assert.equal(formatKilobytes(46_400), "45.3 MB");
    assert.equal(shortId("0f8fad5b-d9cb-469f-a165-70867728950e"), "0f8fad5b…");
    assert.equal(shortId("short"), "short");
  });
});

describe("routes", () => {
  const routes: Route[] = [
    { view: "overview" },
    { view: "workers" },
    { view: "worker", name: "celery@host/with slash" },
    { view: "tasks", filters: { state: "FAILURE,RETRY", q: "boom", sort: "runtime", order: "asc", cursor: "abc" } },
    { view: "task", id: "0f8fad5b-d9cb" },
    { view: "taskNames" },
    { view: "taskName", name: "app.tasks.resize/with slash" },
    { view: "failures" },
    { view: "queues" },
    { view: "queue", name: "media" },
    { view: "config" },
    { view: "periodic" },
    { view: "problems" },
    { view: "problems", finding: "queue_no_consumer|queue|a b" },
    { view: "agents" },
  ];
  it("parses what href writes, for every view", () => {
    for (const route of routes) assert.deepEqual(parseRoute(href(route)), route);
  });
  it("falls back to the overview and drops unknown filter values", () => {
    assert.deepEqual(parseRoute(""), { view: "overview" });
    assert.deepEqual(parseRoute("#/nowhere"), { view: "overview" });
    assert.deepEqual(parseRoute("#/tasks?sort=name&order=up&limit=3"), { view: "tasks", filters: {} });
  });
});

function overview(offline: number, failures: number): Overview {
  return {
    workers: { online: 2, offline, busy: 1 },
    tasks: { active: 3, reserved: 0, last_hour: { SUCCESS: 10, FAILURE: failures }, last_day: {}, latest: [] },
    queues: [
      { name: "celery", messages: 4, consumers: 2 },
      { name: "parked", messages: null, consumers: 0 },
    ],
    registered_tasks: [],
    periodic_tasks: 0,
    generated_at: "2026-06-01T12:00:00Z",
    source: "test",
  };
}

describe("popup summary and badge", () => {
  const dev: Agent = { id: "dev", name: "dev", url: "http://127.0.0.1:5555", token: null };
  const prod: Agent = { id: "prod", name: "prod", url: "https://prod.example.com", token: "t" };
  const ok = (offline: number): AgentStatus => statusFromOverview({ kind: "ok", data: overview(offline, 0) }, 0);

  it("summarizes an overview for the popup", () => {
    assert.deepEqual(summarize(overview(1, 2)), {
      workersOnline: 2,
      workersOffline: 1,
      workersBusy: 1,
      activeTasks: 3,
      queues: 2,
      queuedMessages: 4,
      failedLastHour: 2,
    });
  });

  it("keeps the connection state and the reason when there is no summary", () => {
    const down = statusFromOverview({ kind: "unreachable", endpoint: "/api/v1/overview", reason: "refused" }, 5);
    assert.deepEqual(down, {
      connection: { kind: "unreachable", reason: "refused" },
      summary: null,
      summaryAt: null,
      problem: null,
      checkedAt: 5,
      live: false,
    });
    const invalid = statusFromOverview(
      { kind: "invalid", endpoint: "/api/v1/overview", path: "workers.online", message: "expected number", otherIssues: 0 },
      5,
    );
    assert.equal(invalid.connection.kind, "connected");
    assert.match(invalid.problem ?? "", /workers\.online/);
  });

  it("keeps the last figures, and when they were read, when the agent stops answering", () => {
    const live = { ...statusFromOverview({ kind: "ok", data: overview(1, 0) }, 1000), live: true };
    assert.equal(live.summaryAt, 1000);
    const gone = statusFromOverview({ kind: "unreachable", endpoint: "/api/v1/overview", reason: "refused" }, 9000, live);
    assert.deepEqual(gone.summary, live.summary);
    assert.equal(gone.summaryAt, 1000);
    assert.equal(gone.checkedAt, 9000);
    assert.equal(gone.live, false, "an agent that does not answer is not followed live");
    assert.equal(computeBadge([dev], { dev: gone }).text, "!", "its last-known offline worker is not counted as news");
  });

  it("shows a status as current only while the background follows it, or just after a poll", () => {
    const polled = statusFromOverview({ kind: "ok", data: overview(0, 0) }, 0);
    assert.deepEqual(freshnessOf(polled, POLLED_FRESH_MS - 1, false), { current: true, connection: { kind: "connected" }, asOf: 0 });
    // Not checked lately: never "connected" for figures that are not fresh.
    assert.deepEqual(freshnessOf(polled, POLLED_FRESH_MS, false), { current: false, connection: { kind: "connecting" }, asOf: 0 });
    const followed = { ...polled, live: true };
    assert.equal(freshnessOf(followed, 60_000, true).current, true, "followed live by a running background");
    assert.equal(freshnessOf(followed, 60_000, false).current, false, "the background may have stopped: not current");
    const gone = statusFromOverview({ kind: "unreachable", endpoint: "/api/v1/overview", reason: "refused" }, 1, followed);
    assert.deepEqual(freshnessOf(gone, 2, true), { current: false, connection: { kind: "unreachable", reason: "refused" }, asOf: 0 });
    assert.equal(freshnessOf(undefined, 0, true).current, false);
  });

  it("says how old last-known figures are, never 'just now'", () => {
    const at = new Date(2026, 5, 1, 16, 2, 11).getTime();
    // Times say their zone (the browser's; whatever this machine's is).
    const zone = formatZone(new Date(at));
    assert.equal(formatAsOf(at, at + 40_000), `as of 16:02:11 ${zone}, 40 s ago`);
    assert.equal(formatAsOf(at, at + 200), `as of 16:02:11 ${zone}, 0 s ago`);
    assert.equal(formatAsOf(at, at + 30 * 60_000), `as of 16:02:11 ${zone}, 30 min ago`);
    assert.equal(formatAsOf(at, at + 2 * 86_400_000), `as of 2026-06-01 16:02:11 ${zone}, 2 d ago`);
  });

  it("counts offline workers over all agents, names each in the title, and is empty when all is well", () => {
    assert.deepEqual(computeBadge([dev, prod], { dev: ok(0), prod: ok(0) }).text, "");
    const badge = computeBadge([dev, prod], { dev: ok(1), prod: ok(2) });
    assert.equal(badge.text, "3");
    assert.equal(badge.title, "Celery Panel\ndev: 1 offline worker\nprod: 2 offline workers");
  });

  it("marks an unreachable or unauthorized agent with !", () => {
    const unreachable: AgentStatus = { connection: { kind: "unreachable", reason: "refused" }, summary: null, problem: null, checkedAt: 0 };
    assert.equal(computeBadge([dev, prod], { dev: ok(0), prod: unreachable }).text, "!");
    assert.equal(computeBadge([dev, prod], { dev: ok(2), prod: unreachable }).text, "2!");
    const unauthorized: AgentStatus = { connection: { kind: "unauthorized", message: "token" }, summary: null, problem: null, checkedAt: 0 };
    assert.match(computeBadge([prod], { prod: unauthorized }).title, /prod: unauthorized \(token\)/);
    assert.equal(computeBadge([dev], {}).text, "", "an agent not checked yet is no trouble");
  });

  it("marks an agent that lost its broker as degraded, and does not count its workers offline", () => {
    type LinkState = "connecting" | "connected" | "unavailable" | "disabled";
    const link = (state: LinkState, error: string | null = null) => ({ url: "redis://127.0.0.1:6379/0", state, error, since: "2026-06-01T11:59:00Z" });
    const withLinks = (offline: number, broker: LinkState, backend: LinkState): AgentStatus =>
      statusFromOverview(
        {
          kind: "ok",
          data: {
            ...overview(offline, 0),
            connections: { broker: link(broker, broker === "connected" ? null : "ECONNREFUSED"), result_backend: link(backend) },
          },
        },
        0,
      );
    assert.deepEqual(withLinks(0, "connected", "connected").connection, { kind: "connected" });
    assert.deepEqual(withLinks(0, "connected", "disabled").connection, { kind: "connected" }, "no result backend given: fine");
    const brokerDown = withLinks(2, "unavailable", "connected");
    assert.deepEqual(brokerDown.connection, { kind: "degraded", reason: "cannot reach the broker (ECONNREFUSED)", brokerDown: true });
    const badge = computeBadge([dev, prod], { dev: ok(1), prod: brokerDown });
    assert.equal(badge.text, "1!", "prod's two 'offline' workers are not counted: without the broker nobody hears them");
    assert.match(badge.title, /prod: degraded, the agent cannot reach the broker \(ECONNREFUSED\)/);
    const backendDown = withLinks(1, "connected", "unavailable");
    assert.equal(backendDown.connection.kind, "degraded");
    assert.equal(computeBadge([prod], { prod: backendDown }).text, "1!", "heartbeats still come: offline workers still count");
  });
});
