/** Queues: the `queues` listing and one queue's detail, with its recent and waiting tasks. */
import "./zod-setup";
import * as z from "zod/mini";
import { SubjectFindingsSchema } from "./finding-view";
import { NullableTime } from "./common";
import { TaskRowSchema, WaitingReadSchema } from "./tasks";

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
  /** Where the queue was found: broker bindings, workers' active_queues, the configured task_queues, tasks sent to it (task-sent events). */
  declared_in: z.array(z.enum(["broker", "workers", "config", "events"])),
  /** Consumers the broker counts on the queue (RabbitMQ), whoever they are; null or absent: not told. */
  consumer_count: z.optional(z.nullable(z.number())),
  /** The queue's arguments as the broker holds them (RabbitMQ: x-max-priority, x-queue-type, TTLs). */
  arguments: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  /** RabbitMQ's queue type: classic, quorum or stream. */
  queue_type: z.optional(z.nullable(z.string())),
});

export const QueueDetailSchema = z.extend(QueueSummarySchema, {
  /** The findings whose subject it is (see `findings`). */
  findings: SubjectFindingsSchema,
  routed_tasks: z.array(z.looseObject({ pattern: z.string(), route: z.record(z.string(), z.unknown()) })),
  recent_tasks: z.array(TaskRowSchema),
  /** Its messages waiting in the broker, next first (bounded: see `waiting`). */
  waiting_tasks: z.optional(z.array(TaskRowSchema)),
  waiting: z.optional(WaitingReadSchema),
  /** Why `waiting_tasks` is absent (RabbitMQ cannot read waiting messages without taking them: positions unknown). */
  waiting_note: z.optional(z.nullable(z.string())),
  source: z.string(),
});

export const QueueListSchema = z.looseObject({
  queues: z.array(QueueSummarySchema),
  source: z.string(),
  /** What this listing cannot show on this broker (RabbitMQ without --broker-api: queues nobody named). */
  note: z.optional(z.nullable(z.string())),
});

export type QueueSummary = z.infer<typeof QueueSummarySchema>;
export type QueueDetail = z.infer<typeof QueueDetailSchema>;
export type QueueList = z.infer<typeof QueueListSchema>;
