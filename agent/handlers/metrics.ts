/**
 * The metrics endpoints (schema: api/schema/metrics.ts): tasks per name or queue, queues and
 * workers over a window, and the failure groups. Everything is read from what the agent holds
 * (sources/metrics/): no broker read, no remote control per request.
 */
import {
  FailureQuerySchema,
  MetricsTaskQuerySchema,
  MetricsWindowQuerySchema,
  type FailureGroupList,
  type QueueMetricsList,
  type TaskMetrics,
  type WorkerMetricsList,
} from "../api/schema";
import type { KeyFigures } from "../sources/metrics/key-figures";
import { RELATIVE_ERROR } from "../sources/metrics/log-bins";
import { countSeries, percentileResolution, percentileSeries, readFigures, runtimeHistogram, type Span } from "../sources/metrics/read";
import { OTHER_NAMES } from "../sources/metrics/store";
import { payloadHidden, type Access } from "./access";
import type { Ctx } from "./context";
import { parseQuery } from "./errors";
import { activity, failureGroup, isoMinute, nameMetrics, spanOf, windowFields } from "./present/metrics";
import { queueMetrics, workerMetrics } from "./present/metrics-series";

const SOURCE = "task events (and result backend records) as the agent merged them, counted per minute";

function selectionKeys(ctx: Ctx, name: string | undefined, queue: string | undefined): KeyFigures[] {
  if (name !== undefined) return [ctx.metrics.names.byKey.get(name)].filter((k) => k !== undefined);
  if (queue !== undefined) return [ctx.metrics.queues.byKey.get(queue)].filter((k) => k !== undefined);
  return [...ctx.metrics.names.byKey.values()];
}

export function metricsTasks(ctx: Ctx, query: Record<string, string>): TaskMetrics {
  const q = parseQuery(MetricsTaskQuerySchema, query);
  const span = spanOf(q.window, q.step);
  const resolution = percentileResolution(span);
  const keys = selectionKeys(ctx, q.name, q.queue);
  const listed = q.name !== undefined ? keys.map((k) => [q.name!, k] as const) : [...ctx.metrics.names.byKey];
  const names = listed
    .map(([n, k]) => ({ n, f: readFigures([k], span.from, span.to, resolution.tier) }))
    .filter(({ f }) => activity(f) > 0)
    .sort((a, b) => activity(b.f) - activity(a.f) || a.n.localeCompare(b.n))
    .map(({ n, f }) => nameMetrics(n, f));
  const one = q.name !== undefined ? keys[0] : undefined;
  return {
    ...windowFields(span, q.window),
    histogram: { relative_error: RELATIVE_ERROR, percentile_step_seconds: resolution.step * 60 },
    selection: { name: q.name ?? null, queue: q.queue ?? null },
    names,
    totals: nameMetrics(q.name ?? q.queue ?? "(all)", readFigures(keys, span.from, span.to, resolution.tier)),
    series: countSeries(keys, span).map((counts, i) => ({ at: isoMinute(span.from + i * span.step), counts })),
    percentiles: percentileSeries(keys, span).map((p) => ({ ...p, at: isoMinute(p.at) })),
    runtime_histogram: q.name === undefined ? null : one ? runtimeHistogram(one, span) : [],
    overflow_name: ctx.metrics.names.overflowed ? OTHER_NAMES : null,
    source: SOURCE,
  };
}

export function metricsQueues(ctx: Ctx, query: Record<string, string>): QueueMetricsList {
  const q = parseQuery(MetricsWindowQuerySchema, query);
  const span: Span = spanOf(q.window, q.step);
  return {
    ...windowFields(span, q.window),
    sample_interval_seconds: 5,
    queues: queueMetrics(ctx.metrics, span),
    source: `queues sampled from ${ctx.brokerKindName()} every 5 s (depth, unacked, consumers, oldest message); rates from task events`,
  };
}

export function metricsWorkers(ctx: Ctx, query: Record<string, string>): WorkerMetricsList {
  const q = parseQuery(MetricsWindowQuerySchema, query);
  const span = spanOf(q.window, q.step);
  const online = (w: string) => ctx.liveness(w).status === "online";
  return {
    ...windowFields(span, q.window),
    workers: workerMetrics(
      ctx.metrics,
      span,
      [...ctx.workers.all()].map((w) => w.name),
      online,
    ),
    source: "task events (tasks finished, runtimes) + the workers' stats replies the agent already asked for (pool size, max RSS)",
  };
}

export function listFailures(ctx: Ctx, query: Record<string, string>, access: Access): FailureGroupList {
  const q = parseQuery(FailureQuerySchema, query);
  const span = spanOf(q.window, 60);
  const hidden = payloadHidden(access);
  const groups = ctx.metrics.failures.inWindow(span.from, span.to, q.name);
  return {
    from: isoMinute(span.from),
    to: isoMinute(span.to),
    window_seconds: q.window,
    groups: groups.map(({ group, count }) => failureGroup(group, count, hidden)),
    total: groups.reduce((n, g) => n + g.count, 0),
    source: "task failures (events and result backend), grouped by exception type and normalised message",
  };
}
