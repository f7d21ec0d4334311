/**
 * What a caller may see. Two scopes: `config` (the Configuration view) and `task_payloads`
 * (task arguments, kwargs, results, exception messages, tracebacks, failure details in the
 * timeline, and the args/kwargs of periodic entries: anything a task carries that may hold
 * personal data). The full `--token` (or no token on loopback) has both; a `--limited-token` has
 * neither; `--redact` takes `task_payloads` from everyone. Hidden values are replaced by a
 * `{format: "hidden", reason}` marker, never dropped silently.
 */
import type { Hidden } from "../api/schema";

export type Scope = "config" | "task_payloads";

export interface Access {
  /** Which kind of credential the caller presented. */
  token: "full" | "limited" | "none";
  scopes: Scope[];
  redacted: boolean;
}

export type { Hidden };

const ALL_SCOPES: Scope[] = ["config", "task_payloads"];

export function accessFor(token: Access["token"], redact: boolean): Access {
  const scopes = token === "limited" ? [] : ALL_SCOPES.filter((s) => !(redact && s === "task_payloads"));
  return { token, scopes, redacted: redact };
}

/** Everything: for the agent's own use (coalesced computations before they are cut per caller). */
export const FULL_ACCESS: Access = accessFor("full", false);

/** Why task payloads are hidden from this caller, or null when they are not. */
export function payloadHidden(access: Access): Hidden | null {
  if (access.scopes.includes("task_payloads")) return null;
  const reason = access.redacted
    ? "the agent runs with --redact: task arguments and results are hidden from everyone"
    : "this token is limited: it may not see task arguments and results";
  return { format: "hidden", reason };
}

export const CONFIG_FORBIDDEN =
  "this token is limited: it may not see the Configuration view (Celery settings and the agent's own). Use the agent's full token to see it.";
