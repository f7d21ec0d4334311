/** The `overview` response: counts across workers, tasks and queues at a glance. */
import "./zod-setup";
import * as z from "zod/mini";
import { ConnectionSchema, Time } from "./common";
import { TaskRowSchema } from "./tasks";

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

export type Overview = z.infer<typeof OverviewSchema>;
export type TaskTotals = z.infer<typeof TaskTotalsSchema>;
