/**
 * The contract between the agent and the extension: the zod schema of every response.
 * The agent types its handlers from these; the extension validates every response with them.
 * Imports nothing from Node. Objects are loose on purpose: a newer agent may add fields.
 */
import { z } from "zod";

// Extension pages forbid `new Function`; zod must not try it. Harmless for the agent.
z.config({ jitless: true });

/** A point in time: ISO 8601, UTC. */
const Time = z.string();
const NullableTime = Time.nullable();

export const ConnectionStateSchema = z.enum(["connecting", "connected", "unavailable", "disabled"]);

export const ConnectionSchema = z.looseObject({
  /** The URL with every password masked. */
  url: z.string().nullable(),
  state: ConnectionStateSchema,
  error: z.string().nullable(),
  since: NullableTime,
});

export const HealthSchema = z.looseObject({
  agent: z.looseObject({
    name: z.string(),
    version: z.string(),
    started_at: Time,
    uptime_seconds: z.number(),
  }),
  broker: ConnectionSchema,
  result_backend: ConnectionSchema,
  last_event_at: NullableTime,
  tasks_held: z.number(),
  max_tasks: z.number(),
  backfill: z.looseObject({
    state: z.enum(["pending", "running", "done", "failed", "disabled"]),
    scanned: z.number(),
    loaded: z.number(),
    error: z.string().nullable(),
  }),
  /** Broker messages and requests refused as malformed, by reason. */
  rejected: z.record(z.string(), z.number()),
  /** Remote-control broadcasts sent, and how many returned early (every live worker answered). */
  remote_control: z.looseObject({
    broadcasts: z.number(),
    early: z.number(),
    timeouts: z.number(),
    failed: z.number(),
    by_method: z.record(z.string(), z.number()),
  }),
});

export const TaskStateSchema = z.enum(["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"]);

/** A value that came as JSON (result backend), as a Python repr (events), or was withheld. */
export const ValueSchema = z.discriminatedUnion("format", [
  z.looseObject({ format: z.literal("json"), value: z.unknown() }),
  z.looseObject({ format: z.literal("repr"), value: z.string() }),
  z.looseObject({ format: z.literal("hidden"), reason: z.string() }),
]);

export const TaskRowSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullable(),
  state: TaskStateSchema,
  /** Short previews for tables; the task detail has the full values. */
  args: z.string().nullable(),
  kwargs: z.string().nullable(),
  result: z.string().nullable(),
  exception: z.string().nullable(),
  sent: NullableTime,
  received: NullableTime,
  started: NullableTime,
  finished: NullableTime,
  /** Seconds the task ran, as the worker measured it. */
  runtime: z.number().nullable(),
  worker: z.string().nullable(),
  queue: z.string().nullable(),
  retries: z.number().nullable(),
  root_id: z.string().nullable(),
  parent_id: z.string().nullable(),
});

export const TimelineEntrySchema = z.looseObject({
  type: z.string(),
  at: Time,
  hostname: z.string().nullable(),
  /** Where this entry came from: a task event, or a result-backend write. */
  source: z.enum(["event", "result_backend"]),
  detail: z.string().nullable(),
});

export const TaskDetailSchema = TaskRowSchema.extend({
  args_value: ValueSchema.nullable(),
  kwargs_value: ValueSchema.nullable(),
  result_value: ValueSchema.nullable(),
  exception_info: z.looseObject({ type: z.string().nullable(), message: z.string().nullable(), module: z.string().nullable() }).nullable(),
  traceback: z.string().nullable(),
  eta: NullableTime,
  expires: NullableTime,
  time_limit: z.looseObject({ soft: z.number().nullable(), hard: z.number().nullable() }).nullable(),
  children: z.array(z.string()),
  exchange: z.string().nullable(),
  routing_key: z.string().nullable(),
  priority: z.number().nullable(),
  timeline: z.array(TimelineEntrySchema),
  sources: z.array(z.enum(["events", "result_backend", "inspect"])),
  source: z.string(),
});

export const TaskListSchema = z.looseObject({
  tasks: z.array(TaskRowSchema),
  /** Number of tasks matching the filters (all pages). */
  total: z.number(),
  limit: z.number(),
  next_cursor: z.string().nullable(),
  source: z.string(),
});

export const PoolSchema = z.enum(["prefork", "solo", "threads", "gevent", "eventlet", "custom"]);

export const WorkerSummarySchema = z.looseObject({
  name: z.string(),
  hostname: z.string(),
  status: z.enum(["online", "offline"]),
  /** Why the status is what it is, when that is not obvious (busy solo worker, no heartbeat since...). */
  status_detail: z.string().nullable(),
  /** A solo worker running a task sends no heartbeat: online and busy, not dead. */
  busy: z.boolean(),
  pool: PoolSchema.nullable(),
  concurrency: z.number().nullable(),
  active: z.number().nullable(),
  processed: z.number().nullable(),
  loadavg: z.array(z.number()).nullable(),
  last_heartbeat: NullableTime,
  heartbeat_interval: z.number().nullable(),
  sw_ver: z.string().nullable(),
  sw_ident: z.string().nullable(),
  sw_sys: z.string().nullable(),
  pid: z.number().nullable(),
  /** Seconds the worker's clock is ahead of the agent's (from its events), when known. */
  clock_skew: z.number().nullable(),
  queues: z.array(z.string()),
});

export const WorkerTaskSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullable(),
  args: z.string().nullable(),
  kwargs: z.string().nullable(),
  started: NullableTime,
  eta: NullableTime,
  priority: z.number().nullable(),
  queue: z.string().nullable(),
  acknowledged: z.boolean().nullable(),
  worker_pid: z.number().nullable(),
});

export const QueueBindingSchema = z.looseObject({
  name: z.string(),
  exchange: z.string().nullable(),
  exchange_type: z.string().nullable(),
  routing_key: z.string().nullable(),
  durable: z.boolean().nullable(),
  max_priority: z.number().nullable(),
});

export const WorkerDetailSchema = WorkerSummarySchema.extend({
  prefetch_count: z.number().nullable(),
  uptime_seconds: z.number().nullable(),
  total: z.record(z.string(), z.number()),
  active_tasks: z.array(WorkerTaskSchema),
  reserved_tasks: z.array(WorkerTaskSchema),
  scheduled_tasks: z.array(WorkerTaskSchema),
  revoked_tasks: z.array(z.string()),
  registered: z.array(z.string()),
  active_queues: z.array(QueueBindingSchema),
  pool_processes: z.array(z.number()),
  max_tasks_per_child: z.number().nullable(),
  rusage: z.looseObject({ utime: z.number().nullable(), stime: z.number().nullable(), maxrss_kb: z.number().nullable() }).nullable(),
  /** The worker's broker connection as it reports it, every secret masked. */
  broker: z.record(z.string(), z.unknown()).nullable(),
  /** When the remote-control data was read; null when the worker has not answered. */
  inspected_at: NullableTime,
  /** What could not be read and why (e.g. the worker did not answer in time). */
  notes: z.array(z.string()),
  source: z.string(),
});

export const WorkerListSchema = z.looseObject({ workers: z.array(WorkerSummarySchema), source: z.string() });

export const QueueConsumerSchema = z.looseObject({
  worker: z.string(),
  online: z.boolean(),
  prefetch_count: z.number().nullable(),
});

export const QueueSummarySchema = z.looseObject({
  name: z.string(),
  exchange: z.string().nullable(),
  exchange_type: z.string().nullable(),
  routing_key: z.string().nullable(),
  bindings: z.array(z.looseObject({ exchange: z.string(), routing_key: z.string() })),
  durable: z.boolean().nullable(),
  max_priority: z.number().nullable(),
  messages: z.number().nullable(),
  messages_by_priority: z.array(z.looseObject({ priority: z.number(), messages: z.number() })),
  unacked: z.number().nullable(),
  oldest_unacked_at: NullableTime,
  consumers: z.array(QueueConsumerSchema),
  /** Where the queue was found: broker bindings, workers' active_queues, the configured task_queues, list keys. */
  declared_in: z.array(z.enum(["broker", "workers", "config"])),
});

export const QueueDetailSchema = QueueSummarySchema.extend({
  routed_tasks: z.array(z.looseObject({ pattern: z.string(), route: z.record(z.string(), z.unknown()) })),
  recent_tasks: z.array(TaskRowSchema),
  source: z.string(),
});

export const QueueListSchema = z.looseObject({ queues: z.array(QueueSummarySchema), source: z.string() });

export const OverviewSchema = z.looseObject({
  workers: z.looseObject({ online: z.number(), offline: z.number(), busy: z.number() }),
  tasks: z.looseObject({
    active: z.number(),
    /** Null when no worker answered in time. */
    reserved: z.number().nullable(),
    last_hour: z.record(z.string(), z.number()),
    last_day: z.record(z.string(), z.number()),
    latest: z.array(TaskRowSchema),
  }),
  queues: z.array(z.looseObject({ name: z.string(), messages: z.number().nullable(), consumers: z.number() })),
  registered_tasks: z.array(z.string()),
  periodic_tasks: z.number(),
  generated_at: Time,
  source: z.string(),
});

export const SettingSchema = z.looseObject({
  key: z.string(),
  value: z.unknown(),
  /** True when the workers run Celery's default for this setting. */
  is_default: z.boolean(),
});

export const ConfigSchema = z.looseObject({
  groups: z.array(z.looseObject({ id: z.string(), title: z.string(), settings: z.array(SettingSchema) })),
  /** Workers whose configuration this is, and settings on which they disagree. */
  reported_by: z.array(z.string()),
  differences: z.array(z.looseObject({ key: z.string(), values: z.array(z.looseObject({ worker: z.string(), value: z.unknown() })) })),
  agent: z.looseObject({
    name: z.string(),
    version: z.string(),
    broker: z.string(),
    result_backend: z.string().nullable(),
    listen: z.string(),
    token_required: z.boolean(),
    transport_options: z.record(z.string(), z.unknown()),
    inspect_timeout_ms: z.number(),
    max_tasks: z.number(),
    sources: z.array(z.looseObject({ view: z.string(), source: z.string() })),
  }),
  source: z.string(),
});

export const PeriodicTaskSchema = z.looseObject({
  name: z.string(),
  task: z.string(),
  schedule_kind: z.enum(["interval", "crontab", "solar", "clocked", "unknown"]),
  schedule: z.string(),
  schedule_raw: z.string(),
  args: z.unknown(),
  kwargs: z.unknown(),
  options: z.record(z.string(), z.unknown()),
  enabled: z.boolean().nullable(),
  last_run: NullableTime,
  total_run_count: z.number().nullable(),
  next_run: NullableTime,
  source: z.enum(["beat_schedule", "redbeat"]),
  /** Why the schedule could not be understood, if it could not. */
  error: z.string().nullable(),
});

export const PeriodicTaskListSchema = z.looseObject({
  periodic_tasks: z.array(PeriodicTaskSchema),
  timezone: z.string(),
  source: z.string(),
});

const csvStates = z
  .string()
  .transform((s) => s.split(",").map((x) => x.trim().toUpperCase()).filter(Boolean))
  .pipe(z.array(TaskStateSchema).min(1));

/** Query parameters of `tasks`. Times are ISO 8601 or unix seconds. */
export const TaskQuerySchema = z.strictObject({
  state: csvStates.optional(),
  name: z.string().min(1).max(300).optional(),
  worker: z.string().min(1).max(300).optional(),
  queue: z.string().min(1).max(300).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  q: z.string().max(300).optional(),
  sort: z.enum(["received", "started", "finished", "runtime"]).default("received"),
  order: z.enum(["desc", "asc"]).default("desc"),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type TaskQuery = z.infer<typeof TaskQuerySchema>;

export const ErrorSchema = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string() }) });

/** Payloads of the `events` Server-Sent Events stream, by SSE event name. */
export const StreamPayloadSchemas = {
  worker: WorkerSummarySchema,
  task: TaskRowSchema,
  health: HealthSchema,
} as const;

export type Health = z.infer<typeof HealthSchema>;
export type Connection = z.infer<typeof ConnectionSchema>;
export type TaskState = z.infer<typeof TaskStateSchema>;
export type Value = z.infer<typeof ValueSchema>;
export type TaskRow = z.infer<typeof TaskRowSchema>;
export type TaskDetail = z.infer<typeof TaskDetailSchema>;
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
export type TaskList = z.infer<typeof TaskListSchema>;
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;
export type WorkerTask = z.infer<typeof WorkerTaskSchema>;
export type WorkerDetail = z.infer<typeof WorkerDetailSchema>;
export type WorkerList = z.infer<typeof WorkerListSchema>;
export type QueueBinding = z.infer<typeof QueueBindingSchema>;
export type QueueSummary = z.infer<typeof QueueSummarySchema>;
export type QueueDetail = z.infer<typeof QueueDetailSchema>;
export type QueueList = z.infer<typeof QueueListSchema>;
export type Overview = z.infer<typeof OverviewSchema>;
export type Config = z.infer<typeof ConfigSchema>;
export type Setting = z.infer<typeof SettingSchema>;
export type PeriodicTask = z.infer<typeof PeriodicTaskSchema>;
export type PeriodicTaskList = z.infer<typeof PeriodicTaskListSchema>;
export type ApiError = z.infer<typeof ErrorSchema>;

/** Every endpoint under /api/v1 and the schema of its response: one table for agent, client and tests. */
export const endpoints = {
  health: { path: "health", schema: HealthSchema },
  overview: { path: "overview", schema: OverviewSchema },
  workers: { path: "workers", schema: WorkerListSchema },
  worker: { path: "workers/:name", schema: WorkerDetailSchema },
  tasks: { path: "tasks", schema: TaskListSchema },
  task: { path: "tasks/:id", schema: TaskDetailSchema },
  queues: { path: "queues", schema: QueueListSchema },
  queue: { path: "queues/:name", schema: QueueDetailSchema },
  config: { path: "config", schema: ConfigSchema },
  periodicTasks: { path: "periodic-tasks", schema: PeriodicTaskListSchema },
} as const;

export type EndpointName = keyof typeof endpoints;
export type EndpointResponse<E extends EndpointName> = z.infer<(typeof endpoints)[E]["schema"]>;

export const API_PREFIX = "/api/v1";
