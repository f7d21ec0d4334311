/**
 * One million django-celery-results rows in PostgreSQL: a private cluster (test/harness/django.ts),
 * the table made by Django's own migrations, filled in SQL with generate_series, then the agent with
 * --tasks-db answering the same task queries as the Redis section (`tasks`), each a median over
 * repeated requests. Every query runs in PostgreSQL on the table's indexes; nothing is loaded.
 */
import { RedisServer, stopAll, type AgentProcess } from "../../test/harness/deployment";
import { migrate, PostgresCluster } from "../../test/harness/django";
import { log, timedGet } from "../lib/proc";
import type { Figure } from "../lib/report";
import { fmtMs, summarize } from "../lib/stats";
import { startBenchAgent } from "../lib/agent";
import { timeQueries } from "../lib/rounds";
import type { BenchContext } from "../run";

interface TaskList {
  tasks: { id: string }[];
  total: number;
  next_cursor: string | null;
}

const ROW = "Django tasks database at 1M (PostgreSQL)";

/**
 * Rows like a real deployment's: 93.5 % SUCCESS, 4 % FAILURE with a traceback, 1.5 % STARTED, 1 %
 * REVOKED; six task names (one rare), eight workers, argsrepr with a user id, over the last 24 h.
 */
export function fillSql(count: number): string {
  return `
INSERT INTO django_celery_results_taskresult
  (task_id, task_name, task_args, task_kwargs, status, worker, content_type, content_encoding, result, date_created, date_done, traceback, meta, periodic_task_name)
SELECT
  md5(i::text || 'bench')::uuid::text,
  CASE WHEN i % 997 = 0 THEN 'panel_fixture.sleep_for' ELSE (ARRAY['panel_fixture.add','panel_fixture.report','panel_fixture.charge','panel_fixture.encode_video','panel_fixture.audit_login'])[1 + i % 5] END,
  '"(''user-' || (i % 100000) || ''', ' || (i % 37) || ')"',
  '"{''retries'': ' || (i % 3) || '}"',
  st,
  'w' || (i % 8) || '@bench',
  'application/json', 'utf-8',
  CASE st WHEN 'SUCCESS' THEN '{"total": ' || (i % 1000) || '}'
          WHEN 'FAILURE' THEN '{"exc_type": "CardError", "exc_message": ["Declined: insufficient funds for user-' || (i % 100000) || '"], "exc_module": "billing"}'
          WHEN 'STARTED' THEN '{"pid": ' || (1000 + i % 50) || ', "hostname": "w' || (i % 8) || '@bench"}'
          ELSE '{"exc_type": "TaskRevokedError", "exc_message": ["revoked"], "exc_module": "celery.exceptions"}' END,
  created,
  created + ((i % 5000) || ' milliseconds')::interval,
  CASE WHEN st = 'FAILURE' THEN 'Traceback (most recent call last):\n  File "billing.py", line 42, in charge\nbilling.CardError: Declined' END,
  '{"children": []}',
  CASE WHEN i % 50 = 0 THEN 'nightly report' END
FROM (
  SELECT i,
    CASE WHEN i % 1000 < 40 THEN 'FAILURE' WHEN i % 1000 < 55 THEN 'STARTED' WHEN i % 1000 < 65 THEN 'REVOKED' ELSE 'SUCCESS' END AS st,
    now() - interval '24 hours' + (i * (86400.0 / ${count})) * interval '1 second' AS created
  FROM generate_series(1, ${count}) AS i
) AS g;`;
}

export async function djangoSuite(ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 200_000 : 1_000_000;
  const redis = await RedisServer.start();
  const pg = await PostgresCluster.start();
  let agent: AgentProcess | null = null;
  try {
    migrate(pg.url(), redis.url(0));
    const t0 = performance.now();
    pg.psql(fillSql(count));
    // Autovacuum's steady state: statistics and the visibility map (index-only counts).
    pg.psql("VACUUM ANALYZE django_celery_results_taskresult");
    const fillMs = performance.now() - t0;
    const size = pg.psql("SELECT pg_size_pretty(pg_total_relation_size('django_celery_results_taskresult'))").trim();
    log(`django: ${count} rows inserted in ${fmtMs(fillMs)} (${size} with indexes)`);

    agent = await startBenchAgent(["--broker", redis.url(0), "--tasks-db", pg.url(), "--name", "bench-django"]);
    const first = (await timedGet<TaskList>(`${agent.url}/api/v1/tasks?limit=50`)).body;
    if (first.total !== count) throw new Error(`the agent counts ${first.total} tasks, the table holds ${count}`);
    const someId = first.tasks[7]?.id ?? "";
    const queries: { id: string; what: string; path: string }[] = [
      { id: "django.first_page", what: "first page: `tasks` (50 newest of all, with the exact total)", path: "tasks" },
      { id: "django.page2", what: "next page: `tasks?cursor=` (from the first page)", path: `tasks?cursor=${first.next_cursor ?? ""}` },
      { id: "django.state", what: "filter by state: `state=FAILURE`", path: "tasks?state=FAILURE" },
      { id: "django.state_multi", what: "filter by state: `state=SUCCESS,STARTED`", path: "tasks?state=SUCCESS,STARTED" },
      { id: "django.name", what: "filter by name: `name=panel_fixture.report`", path: "tasks?name=panel_fixture.report" },
      { id: "django.name_rare", what: "filter by name (rare): `name=panel_fixture.sleep_for`", path: "tasks?name=panel_fixture.sleep_for" },
      { id: "django.q", what: "search: `q=user-4242` (an argument)", path: "tasks?q=user-4242" },
      { id: "django.q_common", what: "search: `q=Declined` (an exception message)", path: "tasks?q=Declined" },
      { id: "django.q_id", what: "search: `q=<8 characters of an id>`", path: `tasks?q=${someId.slice(9, 17)}` },
      {
        id: "django.combined",
        what: "combined: `state=SUCCESS&name=panel_fixture.add&worker=w3@bench`",
        path: "tasks?state=SUCCESS&name=panel_fixture.add&worker=w3%40bench",
      },
      { id: "django.sort_finished", what: "`sort=finished` (the date_done index)", path: "tasks?sort=finished" },
      { id: "django.detail", what: "one task: `tasks/:id`", path: `tasks/${someId}` },
    ];
    const rounds = ctx.quick ? 5 : 15;
    const { samples, totals } = await timeQueries(agent.url, queries, rounds);
    for (const q of queries) {
      const s = summarize(samples.get(q.id)!);
      const total = totals.get(q.id);
      const f: Figure = {
        id: q.id,
        row: ROW,
        what: q.what,
        value: s.p50,
        unit: "ms",
        target: null,
        summary: s,
        note: total === undefined ? undefined : `total ${total.toLocaleString("en-US")}`,
        limits: q.id.startsWith("django.q")
          ? "a search is ILIKE over id, name, args, kwargs and result: a sequential scan (the table has no text index)"
          : "the page comes from an index scan; the exact total is a count(*) over the matching rows",
      };
      ctx.figures.push(f);
    }
    log(`django: ${queries.map((q) => `${q.id} ${fmtMs(summarize(samples.get(q.id)!).p50)}`).join(", ")}`);
    ctx.sections.push({
      title: "Django tasks data set",
      body: `${count.toLocaleString("en-US")} rows in \`django_celery_results_taskresult\` (created by django-celery-results 2.4's migrations on a private PostgreSQL 15 cluster, fsync off), inserted with one \`generate_series\` statement in ${fmtMs(fillMs)}, ${size} with its indexes: 93.5 % SUCCESS, 4 % FAILURE, 1.5 % STARTED, 1 % REVOKED; 5 common task names and a rare one (0.1 %); 8 workers; over the last 24 h. The agent (\`--tasks-db postgres://…\`, no workers) answers every query in SQL.`,
    });
  } finally {
    await agent?.stop().catch(() => undefined);
    await stopAll();
    await pg.destroy().catch(() => undefined);
    await redis.destroy().catch(() => undefined);
  }
}
