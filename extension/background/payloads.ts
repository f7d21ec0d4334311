/**
 * The background's own schemas: only the fields it reads of the overview, the workers list and
 * the stream's payloads, each a loose subset of the contract's (agent/api/schema/). The contract's
 * full schemas would more than fill the background's bundle budget for fields it never reads; the
 * contract's unit tests check that what the agent sends passes these too.
 */
import "../../agent/api/schema/zod-setup";
import * as z from "zod/mini";
import { FINDING_SEVERITIES } from "../../agent/api/schema/enums";

const count = z.number();

const LinkSchema = z.looseObject({ url: z.nullable(z.string()), state: z.string(), error: z.nullable(z.string()) });
const LinksSchema = z.looseObject({ broker: LinkSchema, result_backend: LinkSchema });

/** What the badge and the popup show of `overview`. */
export const OverviewFiguresSchema = z.looseObject({
  workers: z.looseObject({ online: count, offline: count, busy: count }),
  tasks: z.looseObject({ active: count, last_hour: z.record(z.string(), count) }),
  queues: z.array(z.looseObject({ messages: z.nullable(count) })),
  connections: z.optional(LinksSchema),
});

const WorkerLivenessSchema = z.looseObject({ name: z.string(), status: z.string(), busy: z.boolean() });

/** `workers`: each worker's liveness, to count them as the stream changes them. */
export const WorkerLivenessListSchema = z.looseObject({ workers: z.array(WorkerLivenessSchema) });

/** One finding: what the badge, the popup and a notification say of it. */
export const FindingGistSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  severity: z.enum(FINDING_SEVERITIES),
  subject: z.looseObject({ type: z.string(), id: z.string() }),
  sentence: z.string(),
});

/** `findings` (and the stream's `findings` event): every finding, and the counts per severity. */
export const FindingGistListSchema = z.looseObject({
  findings: z.array(FindingGistSchema),
  counts: z.looseObject({ problem: count, warning: count, info: count }),
});

/** The stream's payloads the background acts on; a task event only says "poll the task figures". */
export const BackgroundStreamSchemas = {
  worker: WorkerLivenessSchema,
  task: z.looseObject({}),
  health: LinksSchema,
  findings: FindingGistListSchema,
};

export type OverviewFigures = z.infer<typeof OverviewFiguresSchema>;
export type FindingGist = z.infer<typeof FindingGistSchema>;
export type FindingGistList = z.infer<typeof FindingGistListSchema>;
