/**
 * Findings: what the agent concludes from what it holds (why a task waits, a queue that does not
 * drain, events off, a worker gone, a setting that bites), each with its evidence and what to do.
 * `findings` lists them; `tasks/:id/why` explains one task, known or not.
 */
import "./zod-setup";
import * as z from "zod/mini";
import { EVIDENCE_SOURCES, FINDING_KINDS, FINDING_SEVERITIES, FINDING_SUBJECTS } from "./enums";
import { HiddenSchema, NullableTime, Time } from "./common";
import { TaskStateSchema } from "./tasks";

export const FindingSeveritySchema = z.enum(FINDING_SEVERITIES);
/** A kind this agent does not know yet is still a finding: clients show it as any other. */
export const FindingKindSchema = z.string();

export const EvidenceSchema = z.looseObject({
  what: z.string(),
  /** A setting's value is hidden from a caller who may not see the configuration. */
  value: z.union([z.string(), z.number(), z.boolean(), z.null(), HiddenSchema]),
  at: z.optional(Time),
  source: z.enum(EVIDENCE_SOURCES),
});

export const FindingSchema = z.looseObject({
  /** `kind|subject type|subject id`: stable while the finding lasts. */
  id: z.string(),
  kind: FindingKindSchema,
  severity: FindingSeveritySchema,
  subject: z.looseObject({ type: z.enum(FINDING_SUBJECTS), id: z.string() }),
  sentence: z.string(),
  evidence: z.array(EvidenceSchema),
  action: z.string(),
});

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

export type Evidence = z.infer<typeof EvidenceSchema>;
export type FindingView = z.infer<typeof FindingSchema>;
export type FindingList = z.infer<typeof FindingListSchema>;
export type TaskWhy = z.infer<typeof TaskWhySchema>;
export type FindingQuery = z.infer<typeof FindingQuerySchema>;
