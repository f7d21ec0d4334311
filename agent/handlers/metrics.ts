/** The metrics endpoints: tasks per name and queue, queues, workers over a window (schema: api/schema/metrics.ts). */
import {
  FailureQuerySchema,
  MetricsTaskQuerySchema,
  MetricsWindowQuerySchema,
  type FailureGroupList,
  type QueueMetricsList,
  type TaskMetrics,
  type WorkerMetricsList,
} from "../api/schema";
import type { Access } from "./access";
import type { Ctx } from "./context";
import { parseQuery } from "./errors";

const iso = (ms: number) => new Date(ms).toISOString();
const NO_COUNTS = { sent: 0, received: 0, started: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, lost: 0 };
const NO_PERCENTILES = { count: 0, p50: null, p95: null, p99: null };

function windowOf(window: number, step: number) {
  const stepMs = step * 1000;
  const to = Math.floor(Date.now() / stepMs) * stepMs + stepMs;
  return { from: iso(to - window * 1000), to: iso(to), window_seconds: window, step_seconds: step };
}

export function metricsTasks(_ctx: Ctx, query: Record<string, string>): TaskMetrics {
  const q = parseQuery(MetricsTaskQuerySchema, query);
  const totals = { name: q.name ?? "", counts: NO_COUNTS, failure_rate: null, runtime: NO_PERCENTILES, wait: { ...NO_PERCENTILES, basis: null } };
  return {
    ...windowOf(q.window, q.step),
    histogram: { relative_error: 0.02, percentile_step_seconds: 60 },
    selection: { name: q.name ?? null, queue: q.queue ?? null },
    names: [],
    totals,
    series: [],
    percentiles: [],
    runtime_histogram: null,
    overflow_name: null,
    source: "task events",
  };
}

export function metricsQueues(_ctx: Ctx, query: Record<string, string>): QueueMetricsList {
  const q = parseQuery(MetricsWindowQuerySchema, query);
  return { ...windowOf(q.window, q.step), sample_interval_seconds: 5, queues: [], source: "broker" };
}

export function metricsWorkers(_ctx: Ctx, query: Record<string, string>): WorkerMetricsList {
  const q = parseQuery(MetricsWindowQuerySchema, query);
  return { ...windowOf(q.window, q.step), workers: [], source: "task events + stats" };
}

export function listFailures(_ctx: Ctx, query: Record<string, string>, _access: Access): FailureGroupList {
  const q = parseQuery(FailureQuerySchema, query);
  const w = windowOf(q.window, 60);
  return { from: w.from, to: w.to, window_seconds: q.window, groups: [], total: 0, source: "task events" };
}
