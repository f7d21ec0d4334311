/**
 * Metrics over time: what the agent counts and measures from the events it sees (tasks per name and
 * queue, runtimes and queue waits as histograms), samples from the broker (queue depths, consumers)
 * and from the workers' stats (memory), and the failures grouped by exception. Query parameters:
 * metrics-query.ts.
 *
 * Resolution, said in every response: counts per minute for 24 hours (`step_seconds` of a series is
 * any whole number of minutes); runtime and wait percentiles from log-bucketed histograms whose
 * values are within `relative_error` of the truth, kept per minute for the last hour, per 10 minutes
 * for the last 6 hours and per hour for 24 hours (`percentile_step_seconds` says which a series uses).
 * Durations are in seconds, times ISO 8601 UTC.
 */
import "./zod-setup";
import * as z from "zod/mini";
import { HiddenSchema, Time } from "./common";
import { RATE_IN_BASES, WAIT_BASES } from "./enums";

const Seconds = z.nullable(z.number());

/** Tasks per state in a window or a step (see METRIC_COUNTS). */
export const MetricCountsSchema = z.looseObject({
  sent: z.number(),
  received: z.number(),
  started: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  retried: z.number(),
  revoked: z.number(),
  lost: z.number(),
});

/** Percentiles of a histogram, null when nothing was measured; `count`: how many values it holds. */
export const PercentilesSchema = z.looseObject({ count: z.number(), p50: Seconds, p95: Seconds, p99: Seconds });

/** Queue wait: its percentiles, and what it measures from (WAIT_BASES; null when nothing was measured). */
export const WaitPercentilesSchema = z.extend(PercentilesSchema, { basis: z.nullable(z.enum(WAIT_BASES)) });

/** What every metrics response says of its window and resolution. */
export const MetricsWindowSchema = z.looseObject({
  /** The window, `from` (inclusive) to `to` (exclusive), aligned on whole steps (the last may be under way). */
  from: Time,
  to: Time,
  window_seconds: z.number(),
  step_seconds: z.number(),
});

/** The resolution of the histograms behind the percentiles. */
export const HistogramResolutionSchema = z.looseObject({
  /** A percentile read is within this fraction of the true value (e.g. 0.02: 2 %). */
  relative_error: z.number(),
  /** The width of the histograms merged for a series point over this window (60, 600 or 3600 s). */
  percentile_step_seconds: z.number(),
});

/** One task name's figures over the window. */
export const TaskNameMetricsSchema = z.looseObject({
  name: z.string(),
  counts: MetricCountsSchema,
  /** failed / (succeeded + failed), null when none finished. */
  failure_rate: z.nullable(z.number()),
  runtime: PercentilesSchema,
  wait: WaitPercentilesSchema,
});

/** One step of the selection (a name, a queue, or every name together): its counts. */
export const TaskSeriesPointSchema = z.looseObject({ at: Time, counts: MetricCountsSchema });

/** One point of the percentiles over time, each histogram `percentile_step_seconds` wide. */
export const PercentilePointSchema = z.looseObject({ at: Time, runtime: PercentilesSchema, wait: WaitPercentilesSchema });

/** A histogram bin: values from `lower` to `upper` seconds. */
export const HistogramBinSchema = z.looseObject({ lower: z.number(), upper: z.number(), count: z.number() });

export const TaskMetricsSchema = z.extend(MetricsWindowSchema, {
  histogram: HistogramResolutionSchema,
  /** What the series is of: one name, one queue, or every name together. */
  selection: z.looseObject({ name: z.nullable(z.string()), queue: z.nullable(z.string()) }),
  /** Each name's figures over the window, most tasks first (with `name`: that name only). */
  names: z.array(TaskNameMetricsSchema),
  /** The selection's totals over the window. */
  totals: TaskNameMetricsSchema,
  series: z.array(TaskSeriesPointSchema),
  percentiles: z.array(PercentilePointSchema),
  /** For one name: its runtime histogram over the window (non-empty bins); else null. */
  runtime_histogram: z.nullable(z.array(HistogramBinSchema)),
  /** The name under which tasks of names beyond the agent's bound (2,000 names) are counted together, if any were. */
  overflow_name: z.nullable(z.string()),
  source: z.string(),
});

/** A queue as last sampled: depth (per priority where the broker keeps them), unacknowledged, consumers, oldest message. */
export const QueueSampleSchema = z.looseObject({
  at: Time,
  messages: z.nullable(z.number()),
  messages_by_priority: z.array(z.looseObject({ priority: z.number(), messages: z.number() })),
  unacked: z.nullable(z.number()),
  consumers: z.nullable(z.number()),
  /** Seconds the next message to be delivered has waited, where the broker lets it be told; else null. */
  oldest_age_seconds: Seconds,
});

export const QueueSeriesPointSchema = z.looseObject({
  at: Time,
  /** The last sample in the step (null: none taken), and the largest. */
  messages: z.nullable(z.number()),
  messages_max: z.nullable(z.number()),
  consumers: z.nullable(z.number()),
  oldest_age_seconds: Seconds,
  /** Tasks per second into the queue (see `rate_in_basis`) and taken out of it by workers (received). */
  rate_in: z.nullable(z.number()),
  rate_out: z.number(),
});

export const QueueMetricsSchema = z.looseObject({
  name: z.string(),
  current: z.nullable(QueueSampleSchema),
  rate_in_basis: z.enum(RATE_IN_BASES),
  series: z.array(QueueSeriesPointSchema),
});

export const QueueMetricsListSchema = z.extend(MetricsWindowSchema, {
  /** How often the queues are sampled from the broker (one read serves every sampler and reader). */
  sample_interval_seconds: z.number(),
  queues: z.array(QueueMetricsSchema),
  source: z.string(),
});

export const WorkerSeriesPointSchema = z.looseObject({
  at: Time,
  /** Tasks the worker finished in the step. */
  tasks: z.number(),
  /** Runtime summed over the pool's capacity (concurrency x step), 0 to 1; null when the pool size is unknown. */
  busy_share: z.nullable(z.number()),
  /** The largest max RSS its stats replies reported in the step (bytes), null when none came. */
  rss_bytes: z.nullable(z.number()),
});

export const WorkerMetricsSchema = z.looseObject({
  name: z.string(),
  online: z.boolean(),
  concurrency: z.nullable(z.number()),
  tasks: z.number(),
  busy_share: z.nullable(z.number()),
  series: z.array(WorkerSeriesPointSchema),
});

export const WorkerMetricsListSchema = z.extend(MetricsWindowSchema, { workers: z.array(WorkerMetricsSchema), source: z.string() });

/** Failures of one exception type whose messages match once numbers, ids, quoted values and paths are taken out. */
export const FailureGroupSchema = z.looseObject({
  /** Stable while the agent runs: the type and the normalised message, hashed. */
  id: z.string(),
  exception_type: z.string(),
  /** The message with placeholders (<num>, <hex>, <uuid>, <str>, <path>); hidden from a limited token. */
  message: z.union([z.string(), HiddenSchema]),
  /** In the window. */
  count: z.number(),
  first_seen: Time,
  last_seen: Time,
  /** The task names that failed so (at most 20), most first. */
  task_names: z.array(z.string()),
  sample_task_id: z.string(),
  /** One message as it was (hidden from a limited token). */
  sample_message: z.union([z.string(), HiddenSchema]),
});

export const FailureGroupListSchema = z.looseObject({
  from: Time,
  to: Time,
  window_seconds: z.number(),
  groups: z.array(FailureGroupSchema),
  /** Failures in the window, all groups. */
  total: z.number(),
  source: z.string(),
});

export type MetricCounts = z.infer<typeof MetricCountsSchema>;
export type Percentiles = z.infer<typeof PercentilesSchema>;
export type WaitPercentiles = z.infer<typeof WaitPercentilesSchema>;
export type TaskNameMetrics = z.infer<typeof TaskNameMetricsSchema>;
export type TaskMetrics = z.infer<typeof TaskMetricsSchema>;
export type HistogramBin = z.infer<typeof HistogramBinSchema>;
export type QueueSample = z.infer<typeof QueueSampleSchema>;
export type QueueMetrics = z.infer<typeof QueueMetricsSchema>;
export type QueueMetricsList = z.infer<typeof QueueMetricsListSchema>;
export type WorkerMetrics = z.infer<typeof WorkerMetricsSchema>;
export type WorkerMetricsList = z.infer<typeof WorkerMetricsListSchema>;
export type FailureGroup = z.infer<typeof FailureGroupSchema>;
export type FailureGroupList = z.infer<typeof FailureGroupListSchema>;
