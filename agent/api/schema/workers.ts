/** Workers: the `workers` listing's summaries and one worker's detail (what inspect tells). */
import "./zod-setup";
import * as z from "zod/mini";
import { SubjectFindingsSchema } from "./finding-view";
import { NullableTime, PayloadText } from "./common";
import { POOL_KINDS } from "./enums";

export const PoolSchema = z.enum(POOL_KINDS);

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
  /** The findings whose subject it is (see `findings`). */
  findings: SubjectFindingsSchema,
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

export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;
export type WorkerTask = z.infer<typeof WorkerTaskSchema>;
export type WorkerDetail = z.infer<typeof WorkerDetailSchema>;
export type WorkerList = z.infer<typeof WorkerListSchema>;
export type QueueBinding = z.infer<typeof QueueBindingSchema>;
