/**
 * The batched task lookup (`POST tasks/lookup`): which of a list of ids the agent knows as tasks.
 * The devtools' "This page" view sends the ids it found in the inspected page's traffic; the
 * answer holds only the known ones, each as a task row with its family (to draw descendants).
 */
import "./zod-setup";
import * as z from "zod/mini";
import { TaskRowSchema } from "./tasks";

/** At most this many ids in one lookup (a page's burst of requests fits; more is a mistake). */
export const MAX_LOOKUP_IDS = 500;

export const TaskLookupBodySchema = z.strictObject({
  ids: z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(MAX_LOOKUP_IDS)),
});

export const LookedUpTaskSchema = z.extend(TaskRowSchema, {
  /** Tasks naming this one as their parent (a retry, which Celery lists as its own child, left out). */
  children: z.array(z.string()),
});

export const TaskLookupSchema = z.looseObject({
  /** The known tasks among the ids asked for, in the order asked; unknown ids are simply absent. */
  tasks: z.array(LookedUpTaskSchema),
});

export type TaskLookupBody = z.infer<typeof TaskLookupBodySchema>;
export type LookedUpTask = z.infer<typeof LookedUpTaskSchema>;
export type TaskLookup = z.infer<typeof TaskLookupSchema>;
