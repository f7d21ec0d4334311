/**
 * The endpoint table: every route under /api/v1, what it answers, and what it takes. The agent
 * mounts its routes from it, the extension's client and panel build their paths from it, and the
 * tests walk it: a route's path is spelled here and nowhere else.
 */
import type * as z from "zod/mini";
import { ConfigSchema } from "./config";
import { FindingListSchema, FindingQuerySchema, TaskWhySchema } from "./findings";
import { HealthSchema } from "./health";
import { FailureGroupListSchema, QueueMetricsListSchema, TaskMetricsSchema, WorkerMetricsListSchema } from "./metrics";
import { FailureQuerySchema, MetricsTaskQuerySchema, MetricsWindowQuerySchema } from "./metrics-query";
import { OverviewSchema } from "./overview";
import { PeriodicTaskListSchema } from "./periodic";
import { TaskQuerySchema } from "./queries";
import { QueueDetailSchema, QueueListSchema } from "./queues";
import { TaskDetailSchema, TaskListSchema, TaskRowSchema } from "./tasks";
import { WorkerDetailSchema, WorkerListSchema, WorkerSummarySchema } from "./workers";

/**
 * Every JSON endpoint under API_PREFIX (paths.ts): its path (`:name` marks a part taken from the URL), the
 * schema of its response, and, for the endpoints that take query parameters, their schema.
 */
export const endpoints = {
  health: { path: "health", schema: HealthSchema },
  overview: { path: "overview", schema: OverviewSchema },
  workers: { path: "workers", schema: WorkerListSchema },
  worker: { path: "workers/:name", schema: WorkerDetailSchema },
  tasks: { path: "tasks", schema: TaskListSchema, query: TaskQuerySchema },
  task: { path: "tasks/:id", schema: TaskDetailSchema },
  taskWhy: { path: "tasks/:id/why", schema: TaskWhySchema },
  queues: { path: "queues", schema: QueueListSchema },
  queue: { path: "queues/:name", schema: QueueDetailSchema },
  config: { path: "config", schema: ConfigSchema },
  periodicTasks: { path: "periodic-tasks", schema: PeriodicTaskListSchema },
  findings: { path: "findings", schema: FindingListSchema, query: FindingQuerySchema },
  metricsTasks: { path: "metrics/tasks", schema: TaskMetricsSchema, query: MetricsTaskQuerySchema },
  metricsQueues: { path: "metrics/queues", schema: QueueMetricsListSchema, query: MetricsWindowQuerySchema },
  metricsWorkers: { path: "metrics/workers", schema: WorkerMetricsListSchema, query: MetricsWindowQuerySchema },
  failures: { path: "failures", schema: FailureGroupListSchema, query: FailureQuerySchema },
} as const;

export type EndpointName = keyof typeof endpoints;
export type EndpointResponse<E extends EndpointName> = z.infer<(typeof endpoints)[E]["schema"]>;

/** Payloads of the `events` Server-Sent Events stream, by SSE event name. */
export const StreamPayloadSchemas = {
  worker: WorkerSummarySchema,
  task: TaskRowSchema,
  health: HealthSchema,
  /** Every finding, whenever one appears, changes or goes (at most one a second). */
  findings: FindingListSchema,
} as const;

/** The Server-Sent Events stream: its path, and the payload of each event it sends. */
export const streamEndpoint = { path: "events", payloads: StreamPayloadSchemas } as const;
