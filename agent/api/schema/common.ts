/** What several responses share: times, connections, values that may be hidden, and errors. */
import "./zod-setup";
import * as z from "zod/mini";

/** A point in time: ISO 8601, UTC. */
export const Time = z.string();
export const NullableTime = z.nullable(Time);

export const ConnectionStateSchema = z.enum(["connecting", "connected", "unavailable", "disabled"]);

export const ConnectionSchema = z.looseObject({
  /** The URL with every password masked. */
  url: z.nullable(z.string()),
  state: ConnectionStateSchema,
  error: z.nullable(z.string()),
  since: NullableTime,
});

/** A value this caller may not see (a limited token, or --redact), and why. */
export const HiddenSchema = z.looseObject({ format: z.literal("hidden"), reason: z.string() });

/** A value that came as JSON (result backend), as a Python repr (events), or was withheld. */
export const ValueSchema = z.discriminatedUnion("format", [
  z.looseObject({ format: z.literal("json"), value: z.unknown() }),
  z.looseObject({ format: z.literal("repr"), value: z.string() }),
  HiddenSchema,
]);

/** Text that may hold personal data: the text, nothing, or the hidden marker. */
export const PayloadText = z.nullable(z.union([z.string(), HiddenSchema]));

export const ErrorSchema = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string() }) });

export type Connection = z.infer<typeof ConnectionSchema>;
export type Hidden = z.infer<typeof HiddenSchema>;
export type Value = z.infer<typeof ValueSchema>;
export type ApiError = z.infer<typeof ErrorSchema>;
