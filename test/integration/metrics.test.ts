/**
 * Metrics against real workers: sleep tasks of known runtimes (20 of 0.2 s, 5 of 1.0 s) read back as
 * p50/p95 within the histogram's error of the runtimes the workers reported; tasks sent to a queue
 * nobody consumes for several seconds read back with that wait (from their task-sent time); counts
 * per state equal what the workers did (successes, failures, retries); failures whose messages
 * differ only in numbers and ids make one group, another exception another, their messages hidden
 * from a limited token; the queue sampled with its depth and oldest message; and /metrics parsed by
 * `promtool check metrics` and scraped by a private Prometheus server, its values what the workers did.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  endpoints,
  type EndpointName,
  type FailureGroupList,
  type QueueMetricsList,
  type TaskList,
  type TaskMetrics,
  type WorkerMetricsList,
} from "../../agent/api/schema";
import {
  CeleryWorker,
  eventually,
  freePort,
  letTimePass,
  RedisServer,
  runPython,
  startAgent,
  stopAll,
  stopChild,
  track,
  waitForOutput,
  type AgentProcess,
} from "../harness/deployment";

const FULL = "metrics-full-token-0123456789";
const LIMITED = "metrics-limited-token-0123456789";
const SLEEP = "panel_fixture.sleep_for";
const WAIT_QUEUE = "metrics_wait";
const WAIT_SECONDS = 7;

let redis: RedisServer;
let agent: AgentProcess;
let broker: string;
let backend: string;

/** GET with a token, the status asserted and the body checked against the contract. */
async function api<T>(name: EndpointName, path: string, token = FULL): Promise<T> {
  const res = await agent.get<T>(`/api/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
  const parsed = endpoints[name].schema.safeParse(res.body);
  assert.ok(parsed.success, `${path} breaks the contract: ${parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 3))}`);
  return res.body;
}
const taskMetrics = (query: string) => api<TaskMetrics>("metricsTasks", `metrics/tasks?${query}`);
const send = (code: string) => runPython(`import panel_fixture as p\n${code}`, broker, backend);
/** The q-quantile as the histograms define it: the value of rank floor(q * (n - 1)). */
const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
function within(got: number | null, want: number, error: number, what: string): void {
  assert.ok(got !== null && Math.abs(got - want) <= want * error + 1e-9, `${what}: ${got} is not within ${error * 100} % of ${want}`);
}
/** The tasks of a name as the agent holds them (runtimes, times), to compare the figures with. */
async function tasksNamed(name: string): Promise<TaskList["tasks"]> {
  return (await api<TaskList>("tasks", `tasks?name=${encodeURIComponent(name)}&limit=500`)).tasks;
}

before(async () => {
  redis = await RedisServer.start();
  broker = redis.url(0);
  backend = redis.url(1);
  await CeleryWorker.start({ broker, backend, name: "w1@metrics", concurrency: 4, queues: ["celery"] });
  agent = await startAgent(["--broker", broker, "--result-backend", backend, "--token", FULL, "--limited-token", LIMITED]);
  await send(
    [
      "for _ in range(20): p.sleep_for.delay(0.2)",
      "for _ in range(5): p.sleep_for.delay(1.0)",
      "for n, user in [(12, 'alice'), (3456, 'bob'), (7, 'carol')]: p.fail.delay(f\"order {n} not found for user '{user}'\")",
      "for key in ['6f1c2d3e-0000-4000-8000-1234567890ab', '0a1b2c3d-4e5f-4000-8000-abcdefabcdef']: p.fail_lookup.delay(key)",
      "p.flaky.delay(2)",
      // Nobody consumes this queue yet: these wait until the second worker starts.
      `for i in range(3): p.add.apply_async((i, i), queue="${WAIT_QUEUE}")`,
    ].join("\n"),
  );
});

after(async () => {
  await stopAll();
  await redis?.destroy();
});

describe("metrics from real workers", () => {
  it("counts each state once, as the workers did", async () => {
    const done = await eventually(
      async () => {
        const m = await taskMetrics("window=1h");
        const by = (n: string) => m.names.find((x) => x.name === n)?.counts;
        return (
          by(SLEEP)?.succeeded === 25 &&
          by("panel_fixture.flaky")?.succeeded === 1 &&
          by("panel_fixture.fail_lookup")?.failed === 2 &&
          by("panel_fixture.fail")?.failed === 3 &&
          m
        );
      },
      60_000,
      "every task finished and counted",
    );
    const counts = (n: string) => done.names.find((x) => x.name === n)!.counts;
    assert.deepEqual([counts(SLEEP).sent, counts(SLEEP).received, counts(SLEEP).started, counts(SLEEP).succeeded, counts(SLEEP).failed], [25, 25, 25, 25, 0]);
    // flaky: two retries, then success; each run is received and started.
    assert.deepEqual([counts("panel_fixture.flaky").retried, counts("panel_fixture.flaky").started, counts("panel_fixture.flaky").succeeded], [2, 3, 1]);
    assert.equal(done.names.find((x) => x.name === "panel_fixture.fail")!.failure_rate, 1);
    const series = done.series.reduce((n, p) => n + p.counts.succeeded, 0);
    assert.equal(series, done.totals.counts.succeeded, "the series adds up to the window's totals");
  });

  it("reads runtime percentiles within the histogram's error of what the workers reported", async () => {
    const m = await taskMetrics(`name=${SLEEP}&window=1h&step=5m`);
    const runtimes = (await tasksNamed(SLEEP)).map((t) => t.runtime!).filter((r) => r !== null);
    assert.equal(runtimes.length, 25);
    const err = m.histogram.relative_error;
    assert.ok(err > 0 && err <= 0.05);
    within(m.totals.runtime.p50, exact(runtimes, 0.5), err, "p50");
    within(m.totals.runtime.p95, exact(runtimes, 0.95), err, "p95");
    // The 1.0 s tasks are the top fifth: p95 is one of them, whatever the machine's load added.
    assert.ok(m.totals.runtime.p95! >= 0.95 && m.totals.runtime.p50! < m.totals.runtime.p95!);
    assert.equal(m.totals.runtime.count, 25);
    assert.equal(
      m.runtime_histogram!.reduce((n, b) => n + b.count, 0),
      25,
    );
    assert.equal(
      m.percentiles.reduce((n, p) => n + p.runtime.count, 0),
      25,
    );
  });

  it("samples the waiting queue, then reads the wait from task-sent to started", async () => {
    const q = await eventually(
      async () => {
        const list = await api<QueueMetricsList>("metricsQueues", "metrics/queues?window=10m");
        const held = list.queues.find((x) => x.name === WAIT_QUEUE);
        return held?.current?.messages === 3 && (held.current.oldest_age_seconds ?? 0) >= 2 && held;
      },
      30_000,
      "the waiting queue sampled with its 3 messages and their age",
    );
    assert.equal(q.current!.consumers, 0);
    assert.ok(q.series.some((p) => p.messages_max === 3));
    await letTimePass(WAIT_SECONDS * 1000, "the tasks wait that long in the queue before anyone consumes it");
    await CeleryWorker.start({ broker, backend, name: "w2@metrics", pool: "solo", queues: [WAIT_QUEUE] });
    const m = await eventually(
      async () => {
        const r = await taskMetrics("name=panel_fixture.add&window=1h");
        return r.totals.wait.count === 3 && r;
      },
      30_000,
      "the three waits measured",
    );
    assert.equal(m.totals.wait.basis, "sent");
    const waits = (await tasksNamed("panel_fixture.add")).map((t) => (Date.parse(t.started!) - Date.parse(t.sent!)) / 1000);
    within(m.totals.wait.p50, exact(waits, 0.5), m.histogram.relative_error, "wait p50");
    assert.ok(m.totals.wait.p50! >= WAIT_SECONDS, `waited at least ${WAIT_SECONDS} s: ${m.totals.wait.p50}`);
  });

  it("groups failures by exception and normalised message; a limited token sees no message", async () => {
    const full = await api<FailureGroupList>("failures", "failures?window=1h");
    const value = full.groups.find((g) => g.exception_type === "ValueError")!;
    const lookup = full.groups.find((g) => g.exception_type === "LookupError")!;
    assert.equal(value.count, 3);
    assert.equal(value.message, "order <num> not found for user <str>");
    assert.deepEqual(value.task_names, ["panel_fixture.fail"]);
    assert.equal(lookup.count, 2);
    assert.equal(lookup.message, "no row for key <uuid> in table <str>");
    assert.equal(full.groups.length, 2, "flaky's retries (RuntimeError) are not failures");
    const limited = await api<FailureGroupList>("failures", "failures?window=1h", LIMITED);
    assert.equal(limited.groups.length, full.groups.length);
    for (const g of limited.groups) {
      assert.equal(typeof g.message, "object");
      assert.equal(typeof g.sample_message, "object");
      assert.ok(!JSON.stringify(g).includes("alice") && !JSON.stringify(g).includes("order"));
    }
    const byName = await api<FailureGroupList>("failures", "failures?name=panel_fixture.fail_lookup");
    assert.deepEqual(
      byName.groups.map((g) => g.exception_type),
      ["LookupError"],
    );
  });

  it("refuses bad windows and steps with a 400 naming the parameter", async () => {
    const auth = { headers: { authorization: `Bearer ${FULL}` } };
    const bad = await agent.get<{ error: { message: string } }>("/api/v1/metrics/tasks?window=1h&step=7m", auth);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^step: /);
    assert.equal((await agent.get("/api/v1/metrics/queues?window=3d", auth)).status, 400);
    assert.equal((await agent.get("/api/v1/failures?colour=red", auth)).status, 400);
  });

  it("keeps the workers' tasks, busy share and memory per step", async () => {
    await api("workers", "workers"); // the workers view asks for stats, as a user's visit would: memory and pool size come from it
    const list = await eventually(
      async () => {
        const l = await api<WorkerMetricsList>("metricsWorkers", "metrics/workers?window=1h");
        const w = l.workers.find((x) => x.name === "w1@metrics");
        return w?.concurrency === 4 && w.series.some((p) => p.rss_bytes !== null) && l;
      },
      20_000,
      "w1's pool size and memory from its stats reply",
    );
    const w1 = list.workers.find((x) => x.name === "w1@metrics")!;
    assert.equal(w1.online, true);
    // Tasks finished: sleeps, failures, and flaky's last run (its retried runs did not finish).
    assert.equal(w1.tasks, 25 + 3 + 2 + 1);
    assert.ok(w1.busy_share! > 0 && w1.busy_share! <= 1);
  });
});

describe("/metrics", () => {
  async function scrape(token = FULL): Promise<{ status: number; text: string }> {
    const res = await fetch(`${agent.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  }
  const sample = (text: string, series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it("needs the token, passes promtool, and says what the workers did", async () => {
    assert.equal((await fetch(`${agent.url}/metrics`)).status, 401);
    const { status, text } = await scrape(LIMITED);
    assert.equal(status, 200);
    const check = spawn("/usr/bin/promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    check.stdout.on("data", (d) => (out += d));
    check.stderr.on("data", (d) => (out += d));
    check.stdin.end(text);
    const code = await new Promise<number | null>((r) => check.on("exit", r));
    assert.equal(code, 0, `promtool check metrics: ${out}`);
    assert.equal(sample(text, `celery_tasks_total{name="${SLEEP}",state="succeeded"}`), 25);
    assert.equal(sample(text, `celery_tasks_total{name="panel_fixture.flaky",state="retried"}`), 2);
    assert.equal(sample(text, `celery_task_runtime_seconds_count{name="${SLEEP}"}`), 25);
    // The bucket near 0.5 s holds the tasks that ran at most that long (its bound is a sketch bin's edge: exact).
    const line = text.split("\n").find((l) => l.startsWith(`celery_task_runtime_seconds_bucket{name="${SLEEP}",le="0.5`))!;
    const bound = Number(/le="([^"]+)"/.exec(line)![1]);
    const runtimes = (await tasksNamed(SLEEP)).map((t) => t.runtime!);
    assert.equal(Number(line.split(" ").pop()), runtimes.filter((r) => r <= bound).length, line);
    assert.equal(sample(text, `celery_worker_up{worker="w1@metrics"}`), 1);
    assert.equal(sample(text, "celery_panel_broker_up"), 1);
    assert.equal(sample(text, `celery_queue_consumers{queue="celery"}`), 1);
  });

  it("is scraped by a real Prometheus server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "celery-panel-prometheus-"));
    const port = await freePort();
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s }",
        "scrape_configs:",
        "  - job_name: celery-panel",
        `    authorization: { credentials: ${FULL} }`,
        `    static_configs: [{ targets: ["127.0.0.1:${agent.port}"] }]`,
      ].join("\n"),
    );
    const prom = track(
      spawn(
        "/usr/bin/prometheus",
        [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      ),
    );
    try {
      await waitForOutput(prom, /Server is ready to receive web requests/, 30_000, "prometheus");
      const query = encodeURIComponent(`celery_tasks_total{name="${SLEEP}",state="succeeded"}`);
      const value = await eventually(
        async () => {
          const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`)).json()) as { data: { result: { value: [number, string] }[] } };
          return r.data.result[0]?.value[1];
        },
        30_000,
        "Prometheus scraped the agent",
      );
      assert.equal(Number(value), 25);
    } finally {
      await stopChild(prom, "SIGTERM", 10_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
