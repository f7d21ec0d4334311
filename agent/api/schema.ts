/**
 * The contract between the agent and the extension: the zod schema of every response.
 * The agent types its handlers from these; the extension validates every response with them.
 * Imports nothing from Node. Objects are loose on purpose: a newer agent may add fields.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// Extension pages forbid `new Function`; zod must not try it. Harmless for the agent.
z.config({ jitless: true });
// zod/mini loads no messages of its own ("Invalid input" for everything): the English ones, for
// the agent's 400s and the extension's "the agent sent something unexpected" alike.
z.config(en());

/** A point in time: ISO 8601, UTC. */
const Time = z.string();
const NullableTime = z.nullable(Time);

export const ConnectionStateSchema = z.enum(["connecting", "connected", "unavailable", "disabled"]);

export const ConnectionSchema = z.looseObject({
  /** The URL with every password masked. */
  url: z.nullable(z.string()),
  state: ConnectionStateSchema,
  error: z.nullable(z.string()),
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
    error: z.nullable(z.string()),
  }),
  /** Broker messages and requests refused as malformed, by reason. */
  rejected: z.record(z.string(), z.number()),
  /** HTTP requests refused, by status and code (e.g. `404 not_found`). Absent from older agents. */
  http_rejected: z.optional(z.record(z.string(), z.number())),
  /** What this caller may see: scopes `config` and `task_payloads`. Absent from older agents. */
  access: z.optional(
    z.looseObject({
      token: z.enum(["full", "limited", "none"]),
      scopes: z.array(z.string()),
      redacted: z.boolean(),
    }),
  ),
  /** Remote-control broadcasts sent, and how many returned early (every live worker answered). */
  remote_control: z.looseObject({
    broadcasts: z.number(),
    early: z.number(),
    timeouts: z.number(),
    failed: z.number(),
    by_method: z.record(z.string(), z.number()),
  }),
});

/**
 * Celery's states, plus two of the agent's own:
 * - LOST: its verdict on a task that was received or running on a worker judged offline (killed, or
 *   restarted under the same name). A later event or result replaces it.
 * - SCHEDULED: a worker received the task with an ETA later than the moment it received it
 *   (`countdown`/`eta`): the worker holds it until then (`inspect scheduled`). Celery calls it RECEIVED;
 *   task-started moves it on as usual.
 * A message still waiting in a broker queue (no worker has it) is PENDING with `waiting` set.
 */
export const TaskStateSchema = z.enum(["PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED", "LOST", "SCHEDULED"]);

/** Why a task is LOST: the worker that held it, when the agent gave up on it, and why. */
export const LostSchema = z.looseObject({ worker: z.string(), at: Time, reason: z.string() });

/**
 * Where a task's message waits in the broker, read from the queue's lists (LRANGE, never a pop) at
 * `seen_at`: no worker has received it. `position` counts from 1, the next message a worker gets from
 * this queue, across its priority lists in the order workers serve them. `priority` is the message's
 * own, else its list's priority step. Gone as soon as a later read no longer finds the message.
 */
export const WaitingSchema = z.looseObject({ queue: z.string(), position: z.number(), priority: z.number(), seen_at: Time });

/**
 * How the waiting messages were read: `read` messages decoded from the next ones of each queue's
 * lists (`messages` in all those lists), `truncated` when some were left unread (the bound per list
 * and in total), `rejected` how many were not task messages or could not be decoded (the undecodable
 * ones are also counted, once each, in health's `rejected` as `waiting_<reason>`).
 */
export const WaitingReadSchema = z.looseObject({
  read: z.number(),
  messages: z.number(),
  truncated: z.boolean(),
  rejected: z.number(),
  read_at: NullableTime,
  /** Why the broker could not be read, if it could not (the last read's messages are shown). */
  error: z.nullable(z.string()),
});

/** A value this caller may not see (a limited token, or --redact), and why. */
export const HiddenSchema = z.looseObject({ format: z.literal("hidden"), reason: z.string() });

/** A value that came as JSON (result backend), as a Python repr (events), or was withheld. */
export const ValueSchema = z.discriminatedUnion("format", [
  z.looseObject({ format: z.literal("json"), value: z.unknown() }),
  z.looseObject({ format: z.literal("repr"), value: z.string() }),
  HiddenSchema,
]);

/** Text that may hold personal data: the text, nothing, or the hidden marker. */
const PayloadText = z.nullable(z.union([z.string(), HiddenSchema]));

/**
 * Where a task's queue came from: named by the task-sent event or the result backend
 * (result_extended), or inferred by the agent from the routing key in the worker's
 * `inspect active/reserved/scheduled` reply (`delivery_info`) or from the worker that received it
 * consuming that one queue only (`worker_queues`); or the queue the agent read its message waiting in (`broker`).
 */
export const QueueSourceSchema = z.enum(["event", "result_backend", "delivery_info", "worker_queues", "broker"]);

export const TaskRowSchema = z.looseObject({
  id: z.string(),
  name: z.nullable(z.string()),
  state: TaskStateSchema,
  /** Short previews for tables; the task detail has the full values. */
  args: PayloadText,
  kwargs: PayloadText,
  result: PayloadText,
  exception: PayloadText,
  sent: NullableTime,
  received: NullableTime,
  started: NullableTime,
  finished: NullableTime,
  /** Seconds the task ran, as the worker measured it. */
  runtime: z.nullable(z.number()),
  worker: z.nullable(z.string()),
  queue: z.nullable(z.string()),
  /** Where `queue` came from; `queue_inferred` when the agent inferred it. Optional: older agents. */
  queue_source: z.optional(z.nullable(QueueSourceSchema)),
  queue_inferred: z.optional(z.boolean()),
  retries: z.nullable(z.number()),
  root_id: z.nullable(z.string()),
  parent_id: z.nullable(z.string()),
  /** Set while the task is LOST. Optional: agents before LOST existed do not send it. */
  lost: z.optional(z.nullable(LostSchema)),
  /** Set while the task's message waits in a broker queue (state PENDING, or RETRY/LOST sent back). */
  waiting: z.optional(z.nullable(WaitingSchema)),
  /** When the task is due (countdown/eta), as sent: a SCHEDULED task runs then. */
  eta: z.optional(NullableTime),
  /** Why fields are empty, when the agent knows (e.g. only the stored result is known). Optional: older agents. */
  note: z.optional(z.nullable(z.string())),
});

export const TimelineEntrySchema = z.looseObject({
  type: z.string(),
  at: Time,
  hostname: z.nullable(z.string()),
  /** Where this entry came from: a task event, a result-backend write, or the agent's own verdict (lost). */
  source: z.enum(["event", "result_backend", "agent"]),
  detail: PayloadText,
  /**
   * The run of the task this step belongs to: 1, then 2 after one retry... Steps are listed run by
   * run. `attempt_inferred`: no source named the run, it follows the step before. Optional: older agents.
   */
  attempt: z.optional(z.number()),
  attempt_inferred: z.optional(z.boolean()),
  /** On the last retry of a task that went on (succeeded, or is running again): that retry's traceback. */
  traceback: z.optional(PayloadText),
});

export const TaskDetailSchema = z.extend(TaskRowSchema, {
  args_value: z.nullable(ValueSchema),
  kwargs_value: z.nullable(ValueSchema),
  result_value: z.nullable(ValueSchema),
  exception_info: z.nullable(z.looseObject({ type: z.nullable(z.string()), message: PayloadText, module: z.nullable(z.string()) })),
  traceback: PayloadText,
  eta: NullableTime,
  expires: NullableTime,
  time_limit: z.nullable(z.looseObject({ soft: z.nullable(z.number()), hard: z.nullable(z.number()) })),
  children: z.array(z.string()),
  exchange: z.nullable(z.string()),
  routing_key: z.nullable(z.string()),
  priority: z.nullable(z.number()),
  timeline: z.array(TimelineEntrySchema),
  /** Which sources knew this task; `broker`: its message waiting in a queue. */
  sources: z.array(z.enum(["events", "result_backend", "inspect", "broker"])),
  source: z.string(),
});

export const TaskListSchema = z.looseObject({
  tasks: z.array(TaskRowSchema),
  /** Number of tasks matching the filters (all pages). */
  total: z.number(),
  limit: z.number(),
  next_cursor: z.nullable(z.string()),
  source: z.string(),
  /** How the waiting messages (PENDING with `waiting`) among these were read from the broker. */
  waiting: z.optional(WaitingReadSchema),
});

export const PoolSchema = z.enum(["prefork", "solo", "threads", "gevent", "eventlet", "custom"]);

export const WorkerSummarySchema = z.looseObject({
  name: z.string(),
  hostname: z.string(),
  status: z.enum(["online", "offline"]),
  /** Why the status is what it is, when that is not obvious (busy solo worker, no heartbeat since...). */
  status_detail: z.nullable(z.string()),
  /** A solo worker running a task sends no heartbeat: online and busy, not dead. */
  busy: z.boolean(),
  pool: z.nullable(PoolSchema),
  concurrency: z.nullable(z.number()),
  active: z.nullable(z.number()),
  processed: z.nullable(z.number()),
  loadavg: z.nullable(z.array(z.number())),
  last_heartbeat: NullableTime,
  heartbeat_interval: z.nullable(z.number()),
  sw_ver: z.nullable(z.string()),
  sw_ident: z.nullable(z.string()),
  sw_sys: z.nullable(z.string()),
  pid: z.nullable(z.number()),
  /** Seconds the worker's clock is ahead of the agent's (from its events), when known. */
  clock_skew: z.nullable(z.number()),
  /**
   * The same, rounded, when it is large enough that the worker's task times were corrected by it
   * (else 0); see `clock_note`. Optional: older agents do not send it.
   */
  clock_skew_seconds: z.optional(z.nullable(z.number())),
  clock_note: z.optional(z.nullable(z.string())),
  /** When the worker's current process came up under this name (a restart changes pid and counters). */
  restarted_at: z.optional(NullableTime),
  queues: z.array(z.string()),
});

export const WorkerTaskSchema = z.looseObject({
  id: z.string(),
  name: z.nullable(z.string()),
  args: PayloadText,
  kwargs: PayloadText,
  started: NullableTime,
  eta: NullableTime,
  priority: z.nullable(z.number()),
  queue: z.nullable(z.string()),
  acknowledged: z.nullable(z.boolean()),
  worker_pid: z.nullable(z.number()),
});

export const QueueBindingSchema = z.looseObject({
  name: z.string(),
  exchange: z.nullable(z.string()),
  exchange_type: z.nullable(z.string()),
  routing_key: z.nullable(z.string()),
  durable: z.nullable(z.boolean()),
  max_priority: z.nullable(z.number()),
});

export const WorkerDetailSchema = z.extend(WorkerSummarySchema, {
  prefetch_count: z.nullable(z.number()),
  uptime_seconds: z.nullable(z.number()),
  total: z.record(z.string(), z.number()),
  active_tasks: z.array(WorkerTaskSchema),
  reserved_tasks: z.array(WorkerTaskSchema),
  scheduled_tasks: z.array(WorkerTaskSchema),
  revoked_tasks: z.array(z.string()),
  registered: z.array(z.string()),
  active_queues: z.array(QueueBindingSchema),
  pool_processes: z.array(z.number()),
  max_tasks_per_child: z.nullable(z.number()),
  rusage: z.nullable(z.looseObject({ utime: z.nullable(z.number()), stime: z.nullable(z.number()), maxrss_kb: z.nullable(z.number()) })),
  /** The worker's broker connection as it reports it, every secret masked. */
  broker: z.nullable(z.record(z.string(), z.unknown())),
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
  prefetch_count: z.nullable(z.number()),
});

export const QueueSummarySchema = z.looseObject({
  name: z.string(),
  exchange: z.nullable(z.string()),
  exchange_type: z.nullable(z.string()),
  routing_key: z.nullable(z.string()),
  bindings: z.array(z.looseObject({ exchange: z.string(), routing_key: z.string() })),
  durable: z.nullable(z.boolean()),
  max_priority: z.nullable(z.number()),
  messages: z.nullable(z.number()),
  messages_by_priority: z.array(z.looseObject({ priority: z.number(), messages: z.number() })),
  unacked: z.nullable(z.number()),
  oldest_unacked_at: NullableTime,
  consumers: z.array(QueueConsumerSchema),
  /** Where the queue was found: broker bindings, workers' active_queues, the configured task_queues, list keys. */
  declared_in: z.array(z.enum(["broker", "workers", "config"])),
});

export const QueueDetailSchema = z.extend(QueueSummarySchema, {
  routed_tasks: z.array(z.looseObject({ pattern: z.string(), route: z.record(z.string(), z.unknown()) })),
  recent_tasks: z.array(TaskRowSchema),
  /** Its messages waiting in the broker, next first (bounded: see `waiting`). */
  waiting_tasks: z.optional(z.array(TaskRowSchema)),
  waiting: z.optional(WaitingReadSchema),
  source: z.string(),
});

export const QueueListSchema = z.looseObject({ queues: z.array(QueueSummarySchema), source: z.string() });

/**
 * Tasks per name and per worker: `listed` counts the tasks the agent holds (events and the Redis
 * result backend; not a --tasks-db table), `ran` what the workers'
 * `inspect stats` say they ran since each started (`total`, summed over the workers in
 * `ran_reported_by`; null for a name or worker none of them reported). Tasks known only by their
 * stored result have no name or worker: counted in `listed_without_name` / `listed_without_worker`.
 */
export const TaskTotalsSchema = z.looseObject({
  by_name: z.array(z.looseObject({ name: z.string(), listed: z.number(), ran: z.nullable(z.number()) })),
  by_worker: z.array(z.looseObject({ worker: z.string(), listed: z.number(), ran: z.nullable(z.number()) })),
  listed_without_name: z.number(),
  listed_without_worker: z.number(),
  ran_reported_by: z.array(z.string()),
});

export const OverviewSchema = z.looseObject({
  workers: z.looseObject({ online: z.number(), offline: z.number(), busy: z.number() }),
  tasks: z.looseObject({
    active: z.number(),
    /** Null when no worker answered in time. */
    reserved: z.nullable(z.number()),
    /** Received with an ETA still ahead (inspect scheduled, else the SCHEDULED tasks held); null when unknown. */
    scheduled: z.optional(z.nullable(z.number())),
    last_hour: z.record(z.string(), z.number()),
    last_day: z.record(z.string(), z.number()),
    latest: z.array(TaskRowSchema),
  }),
  queues: z.array(z.looseObject({ name: z.string(), messages: z.nullable(z.number()), consumers: z.number() })),
  registered_tasks: z.array(z.string()),
  periodic_tasks: z.number(),
  /**
   * Parts not read yet (right after the agent starts, before the workers and the broker answered):
   * their figures above are unknown, not zero. Optional: older agents do not send it.
   */
  pending: z.optional(z.array(z.enum(["queues", "periodic_tasks"]))),
  generated_at: Time,
  source: z.string(),
  /** The agent's broker and result-backend connections: when one is down, what it shows is not live. */
  connections: z.optional(z.looseObject({ broker: ConnectionSchema, result_backend: ConnectionSchema })),
  /** Tasks per name and worker, listed and as the workers' stats count them. Optional: older agents. */
  task_totals: z.optional(TaskTotalsSchema),
});

export const SettingSchema = z.looseObject({
  key: z.string(),
  value: z.unknown(),
  /** True when the workers run Celery's default for this setting. */
  is_default: z.boolean(),
  /** The value in words, with its unit (`60 s`, `1 day`, `no limit`); absent when the raw value reads well. */
  display: z.optional(z.string()),
  /** Celery masked this value in its conf reply although its name is no secret (it contains KEY, DATABASE...). */
  hidden_by_celery: z.optional(z.boolean()),
  /** What the agent saw happen, where the conf reply cannot tell (task events sent with -E, routing keys used). */
  observed: z.optional(
    z.looseObject({
      value: z.unknown(),
      detail: z.string(),
      /** Per worker (true: seen; null: not seen yet), when the workers differ. */
      workers: z.optional(z.record(z.string(), z.nullable(z.boolean()))),
    }),
  ),
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
    result_backend: z.nullable(z.string()),
    listen: z.string(),
    token_required: z.boolean(),
    transport_options: z.record(z.string(), z.unknown()),
    inspect_timeout_ms: z.number(),
    max_tasks: z.number(),
    /** django-celery-results / django-celery-beat databases in use (masked), when configured. */
    tasks_db: z.optional(z.nullable(z.string())),
    beat_db: z.optional(z.nullable(z.string())),
    sources: z.array(z.looseObject({ view: z.string(), source: z.string() })),
  }),
  source: z.string(),
});

/** Where a periodic entry's last run and run count come from: its scheduler's store, or the tasks the agent saw. */
export const LastRunSourceSchema = z.enum(["beat store", "tasks seen"]);
/** Whether beat looks alive, judged from its entries' expected and observed runs. */
export const BeatStatusSchema = z.enum(["alive", "late", "unknown"]);

export const PeriodicTaskSchema = z.looseObject({
  name: z.string(),
  task: z.string(),
  schedule_kind: z.enum(["interval", "crontab", "solar", "clocked", "unknown"]),
  schedule: z.string(),
  schedule_raw: z.string(),
  args: z.unknown(),
  kwargs: z.unknown(),
  options: z.record(z.string(), z.unknown()),
  enabled: z.nullable(z.boolean()),
  last_run: NullableTime,
  total_run_count: z.nullable(z.number()),
  next_run: NullableTime,
  source: z.enum(["beat_schedule", "redbeat", "django_celery_beat"]),
  /** Why the schedule could not be understood, if it could not. */
  error: z.nullable(z.string()),
  /** Where last_run and total_run_count come from; null when no run is known. */
  last_run_source: z.optional(z.nullable(LastRunSourceSchema)),
  /** The task of the latest run seen, when it came from the tasks seen. */
  last_task_id: z.optional(z.nullable(z.string())),
  /** When a run was due and none was seen (past a tolerance); null when none is missing. */
  missed_run: z.optional(NullableTime),
});

export const BeatCheckSchema = z.looseObject({
  status: BeatStatusSchema,
  /** e.g. "entry X ran 8 s ago as scheduled", "entry X was due 3 min ago and nothing was seen since …". */
  detail: z.string(),
  /** The entry the verdict rests on. */
  entry: z.nullable(z.string()),
  /** The latest run of any entry. */
  last_run: NullableTime,
});

export const PeriodicTaskListSchema = z.looseObject({
  periodic_tasks: z.array(PeriodicTaskSchema),
  timezone: z.string(),
  source: z.string(),
  /** Whether beat looks alive (absent when the runs were not looked at). */
  beat: z.optional(BeatCheckSchema),
});

const csvStates = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s: string) => s.split(",").map((x) => x.trim().toUpperCase()).filter(Boolean)),
  ),
  z.array(TaskStateSchema).check(z.minLength(1)),
);

/** Query parameters of `tasks`. Times are ISO 8601 or unix seconds. */
export const TaskQuerySchema = z.strictObject({
  state: z.optional(csvStates),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  worker: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  queue: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  since: z.optional(z.string().check(z.maxLength(40))),
  until: z.optional(z.string().check(z.maxLength(40))),
  q: z.optional(z.string().check(z.maxLength(300))),
  sort: z._default(z.enum(["received", "started", "finished", "runtime"]), "received"),
  order: z._default(z.enum(["desc", "asc"]), "desc"),
  cursor: z.optional(z.string().check(z.maxLength(200))),
  limit: z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(500))), 50),
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
export type QueueSource = z.infer<typeof QueueSourceSchema>;
export type Lost = z.infer<typeof LostSchema>;
export type Waiting = z.infer<typeof WaitingSchema>;
export type WaitingRead = z.infer<typeof WaitingReadSchema>;
export type Value = z.infer<typeof ValueSchema>;
export type Hidden = z.infer<typeof HiddenSchema>;
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
export type TaskTotals = z.infer<typeof TaskTotalsSchema>;
export type Config = z.infer<typeof ConfigSchema>;
export type Setting = z.infer<typeof SettingSchema>;
export type PeriodicTask = z.infer<typeof PeriodicTaskSchema>;
export type PeriodicTaskList = z.infer<typeof PeriodicTaskListSchema>;
export type BeatCheck = z.infer<typeof BeatCheckSchema>;
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
