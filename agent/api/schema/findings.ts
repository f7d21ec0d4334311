/**
 * Findings: what the agent concludes from what it holds (why a task waits, a queue that does not
 * drain, events off, a worker gone, a setting that bites), each with its evidence and what to do.
 * `findings` lists them; `tasks/:id/why` explains one task, known or not.
 */
import "./zod-setup";
import * as z from "zod/mini";
import { FINDING_KINDS } from "./enums";
import { NullableTime, Time } from "./common";
import { FindingSchema, FindingSeveritySchema } from "./finding-view";
import { TaskStateSchema } from "./tasks";

export const FindingListSchema = z.looseObject({
  findings: z.array(FindingSchema),
  /** Per severity, of the findings listed (after the filters). */
  counts: z.looseObject({ problem: z.number(), warning: z.number(), info: z.number() }),
  computed_at: Time,
  /** Rules that failed this time (their findings are missing), and why. */
  failed_rules: z.array(z.looseObject({ rule: z.string(), error: z.string() })),
  source: z.string(),
});

export const TaskWhySchema = z.looseObject({
  id: z.string(),
  /** Whether the agent (events, queues read, result backend) knows the task. */
  known: z.boolean(),
  state: z.nullable(TaskStateSchema),
  /** Where its message waits, when it was found in a queue. */
  queue: z.nullable(z.string()),
  position: z.nullable(z.number()),
  /** Empty when it does not wait (running or finished): `state` says why. */
  findings: z.array(FindingSchema),
  computed_at: NullableTime,
  source: z.string(),
});

/** Query parameters of `findings`: `subject` is a type (`queue`) or a type and an id (`queue:parked`). */
export const FindingQuerySchema = z.strictObject({
  severity: z.optional(FindingSeveritySchema),
  kind: z.optional(z.enum(FINDING_KINDS)),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(400))),
});

export type FindingList = z.infer<typeof FindingListSchema>;
export type TaskWhy = z.infer<typeof TaskWhySchema>;
export type FindingQuery = z.infer<typeof FindingQuerySchema>;
