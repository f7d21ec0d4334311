/** Tasks: a row of the `tasks` listing, a task's detail with its timeline, and the listing itself. */
import "./zod-setup";
import * as z from "zod/mini";
import { SubjectFindingsSchema } from "./finding-view";
import { NullableTime, PayloadText, Time, ValueSchema } from "./common";
import { QUEUE_SOURCES, TASK_STATES } from "./enums";

/** The task states (see TASK_STATES: Celery's, and the agent's LOST and SCHEDULED). */
export const TaskStateSchema = z.enum(TASK_STATES);

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

/** Where a task's queue came from (see QUEUE_SOURCES). */
export const QueueSourceSchema = z.enum(QUEUE_SOURCES);

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
  /** The findings whose subject it is (see `findings`). */
  findings: SubjectFindingsSchema,
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
  /** true: the count stopped at `total` (a common search text over a large history), there are more. */
  total_at_least: z.optional(z.boolean()),
  limit: z.number(),
  next_cursor: z.nullable(z.string()),
  source: z.string(),
  /** How the waiting messages (PENDING with `waiting`) among these were read from the broker. */
  waiting: z.optional(WaitingReadSchema),
});

export type Lost = z.infer<typeof LostSchema>;
export type Waiting = z.infer<typeof WaitingSchema>;
export type WaitingRead = z.infer<typeof WaitingReadSchema>;
export type TaskRow = z.infer<typeof TaskRowSchema>;
export type TaskDetail = z.infer<typeof TaskDetailSchema>;
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
export type TaskList = z.infer<typeof TaskListSchema>;
