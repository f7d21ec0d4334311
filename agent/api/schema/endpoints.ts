/**
 * The endpoint table: every route under /api/v1, what it answers, and what it takes. The agent
 * mounts its routes from it, the extension's client and panel build their paths from it, and the
 * tests walk it. Each path is spelled once, in paths.ts.
 */
import type * as z from "zod/mini";
import { ConfigSchema } from "./config";
import { FindingListSchema, FindingQuerySchema, TaskWhySchema } from "./findings";
import { HealthSchema } from "./health";
import { ENDPOINT_PATHS } from "./paths";
import { FailureGroupListSchema, QueueMetricsListSchema, TaskMetricsSchema, WorkerMetricsListSchema } from "./metrics";
import { FailureQuerySchema, MetricsTaskQuerySchema, MetricsWindowQuerySchema } from "./metrics-query";
import { OverviewSchema } from "./overview";
import { PeriodicTaskListSchema } from "./periodic";
import { TaskQuerySchema } from "./queries";
import { QueueDetailSchema, QueueListSchema } from "./queues";
import { TaskDetailSchema, TaskListSchema, TaskRowSchema } from "./tasks";
import { TaskLookupBodySchema, TaskLookupSchema } from "./task-lookup";
import { WorkerDetailSchema, WorkerListSchema, WorkerSummarySchema } from "./workers";

/**
 * Every JSON endpoint under API_PREFIX (paths.ts): its path (`:name` marks a part taken from the URL), the
 * schema of its response, and, for the endpoints that take query parameters, their schema. Every
 * endpoint is a GET unless it names a `method`; a POST names the schema of its JSON `body`.
 */
export const endpoints = {
  health: { path: ENDPOINT_PATHS.health, schema: HealthSchema },
  overview: { path: ENDPOINT_PATHS.overview, schema: OverviewSchema },
  workers: { path: ENDPOINT_PATHS.workers, schema: WorkerListSchema },
  worker: { path: ENDPOINT_PATHS.worker, schema: WorkerDetailSchema },
  tasks: { path: ENDPOINT_PATHS.tasks, schema: TaskListSchema, query: TaskQuerySchema },
  taskLookup: { path: ENDPOINT_PATHS.taskLookup, schema: TaskLookupSchema, method: "POST", body: TaskLookupBodySchema },
  task: { path: ENDPOINT_PATHS.task, schema: TaskDetailSchema },
  taskWhy: { path: ENDPOINT_PATHS.taskWhy, schema: TaskWhySchema },
  queues: { path: ENDPOINT_PATHS.queues, schema: QueueListSchema },
  queue: { path: ENDPOINT_PATHS.queue, schema: QueueDetailSchema },
  config: { path: ENDPOINT_PATHS.config, schema: ConfigSchema },
  periodicTasks: { path: ENDPOINT_PATHS.periodicTasks, schema: PeriodicTaskListSchema },
  findings: { path: ENDPOINT_PATHS.findings, schema: FindingListSchema, query: FindingQuerySchema },
  metricsTasks: { path: ENDPOINT_PATHS.metricsTasks, schema: TaskMetricsSchema, query: MetricsTaskQuerySchema },
  metricsQueues: { path: ENDPOINT_PATHS.metricsQueues, schema: QueueMetricsListSchema, query: MetricsWindowQuerySchema },
  metricsWorkers: { path: ENDPOINT_PATHS.metricsWorkers, schema: WorkerMetricsListSchema, query: MetricsWindowQuerySchema },
  failures: { path: ENDPOINT_PATHS.failures, schema: FailureGroupListSchema, query: FailureQuerySchema },
} as const;

export type EndpointName = keyof typeof endpoints;
export type EndpointResponse<E extends EndpointName> = z.infer<(typeof endpoints)[E]["schema"]>;
/** The endpoints read with GET, and those that take a JSON body with POST. */
export type PostEndpointName = { [E in EndpointName]: (typeof endpoints)[E] extends { method: "POST" } ? E : never }[EndpointName];
export type GetEndpointName = Exclude<EndpointName, PostEndpointName>;
export type EndpointBody<E extends PostEndpointName> = z.infer<(typeof endpoints)[E]["body"]>;
/** The HTTP method of an endpoint of the table. */
export const endpointMethod = (name: EndpointName): "GET" | "POST" => {
  const e = endpoints[name];
  return "method" in e ? e.method : "GET";
};

/** Payloads of the `events` Server-Sent Events stream, by SSE event name. */
export const StreamPayloadSchemas = {
  worker: WorkerSummarySchema,
  task: TaskRowSchema,
  health: HealthSchema,
  /** Every finding, whenever one appears, changes or goes (at most one a second). */
  findings: FindingListSchema,
} as const;

/** The Server-Sent Events stream: its path, and the payload of each event it sends. */
export const streamEndpoint = { path: ENDPOINT_PATHS.events, payloads: StreamPayloadSchemas } as const;
