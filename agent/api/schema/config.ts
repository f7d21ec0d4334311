/** The `config` response: the workers' settings in groups, where they differ, and the agent's own. */
import "./zod-setup";
import * as z from "zod/mini";

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
    /** The broker's kind as users know it: Redis, RabbitMQ. */
    broker_kind: z.optional(z.string()),
    /** RabbitMQ's management API (--broker-api), masked; null when not given. */
    broker_api: z.optional(z.nullable(z.string())),
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

export type Config = z.infer<typeof ConfigSchema>;
export type Setting = z.infer<typeof SettingSchema>;
