/** The `health` response: the agent itself, its connections, and what it refused. */
import "./zod-setup";
import * as z from "zod/mini";
import { ConnectionSchema, NullableTime, Time } from "./common";

export const HealthSchema = z.looseObject({
  agent: z.looseObject({
    name: z.string(),
    version: z.string(),
    started_at: Time,
    uptime_seconds: z.number(),
  }),
  broker: ConnectionSchema,
  result_backend: ConnectionSchema,
  /** RabbitMQ's management API (--broker-api), masked, or null; absent from older agents. */
  broker_api: z.optional(z.nullable(z.looseObject({ url: z.string(), tls_verified: z.boolean() }))),
  last_event_at: NullableTime,
  tasks_held: z.number(),
  max_tasks: z.number(),
  backfill: z.looseObject({
    state: z.enum(["pending", "running", "done", "failed", "disabled"]),
    scanned: z.number(),
    loaded: z.number(),
    error: z.nullable(z.string()),
  }),
  /**
   * The durable task history: on, off (--no-history) or failed (the file cannot be opened or
   * written, or PostgreSQL cannot be reached: `error` says why, password masked; the live views are
   * served meanwhile). `path`: the SQLite file, or the PostgreSQL URL (masked). Absent from older agents.
   */
  history: z.optional(
    z.looseObject({
      state: z.enum(["on", "off", "failed"]),
      path: z.nullable(z.string()),
      /** Where it is kept (absent from older agents). */
      backend: z.optional(z.nullable(z.enum(["sqlite", "postgres"]))),
      /** Said beside the state, e.g. PostgreSQL without pg_trgm: search scans the table. */
      notice: z.optional(z.nullable(z.string())),
      error: z.nullable(z.string()),
      tasks: z.nullable(z.number()),
      written: z.number(),
      flushes: z.number(),
      pending: z.number(),
      retained_deleted: z.number(),
    }),
  ),
  /** Broker messages and requests refused as malformed, by reason. */
  rejected: z.record(z.string(), z.number()),
  /** HTTP requests refused, by status and code (e.g. `404 not_found`). Absent from older agents. */
  http_rejected: z.optional(z.record(z.string(), z.number())),
  /** What this caller may see: scopes `config` and `task_payloads`. Absent from older agents. */
  access: z.optional(
    z.looseObject({
      token: z.enum(["full", "limited", "none"]),
      scopes: z.array(z.string()),
      redacted: z.boolean(),
    }),
  ),
  /** Remote-control broadcasts sent, and how many returned early (every live worker answered). */
  remote_control: z.looseObject({
    broadcasts: z.number(),
    early: z.number(),
    timeouts: z.number(),
    failed: z.number(),
    by_method: z.record(z.string(), z.number()),
  }),
});

export type Health = z.infer<typeof HealthSchema>;
