/** The `periodic-tasks` response: beat's entries, their runs, and whether beat looks alive. */
import "./zod-setup";
import * as z from "zod/mini";
import { NullableTime } from "./common";
import { BEAT_STATUSES } from "./enums";
import { SubjectFindingsSchema } from "./finding-view";

/** Where a periodic entry's last run and run count come from: its scheduler's store, or the tasks the agent saw. */
export const LastRunSourceSchema = z.enum(["beat store", "tasks seen"]);
/** Whether beat looks alive (see BEAT_STATUSES). */
export const BeatStatusSchema = z.enum(BEAT_STATUSES);

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
  /** The findings about beat and its entries (missed, silent, disabled, never firing). */
  findings: SubjectFindingsSchema,
});

export type PeriodicTask = z.infer<typeof PeriodicTaskSchema>;
export type PeriodicTaskList = z.infer<typeof PeriodicTaskListSchema>;
export type BeatCheck = z.infer<typeof BeatCheckSchema>;
