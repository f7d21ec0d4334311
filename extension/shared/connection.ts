/** How far we got with one agent: the state the popup, the picker and the badge show. */
import type { ApiResult } from "../api/result";

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "connected" }
  /** The agent answers, but it has lost the broker or the result backend: what it shows is not live. */
  | { kind: "degraded"; reason: string; brokerDown: boolean }
  | { kind: "unreachable"; reason: string }
  | { kind: "unauthorized"; message: string };

/** One of the agent's own connections, as health and overview report it. */
export interface AgentLink {
  url: string | null;
  state: string;
  error: string | null;
}

/**
 * Why the agent's data is not live, or null when it is: its broker (events, remote control, queue
 * depths) or its result backend is not connected. A backend the agent was not given is fine.
 */
export function degradedReason(links: { broker: AgentLink; result_backend: AgentLink } | undefined): { reason: string; brokerDown: boolean } | null {
  if (!links) return null;
  const down = (what: string, link: AgentLink) =>
    link.state === "connected" || link.state === "disabled"
      ? null
      : `${link.state === "connecting" ? "connecting to" : "cannot reach"} the ${what}${link.error ? ` (${link.error})` : ""}`;
  const broker = down("broker", links.broker);
  const backend = down("result backend", links.result_backend);
  if (!broker && !backend) return null;
  return { reason: [broker, backend].filter(Boolean).join("; "), brokerDown: broker !== null };
}

/**
 * The connection state a response tells. An invalid body or an HTTP error still means
 * the agent answered: connected (the failure itself is shown where the data was wanted).
 */
export function connectionFromResult(result: ApiResult<unknown>): ConnectionState {
  switch (result.kind) {
    case "unreachable":
      return { kind: "unreachable", reason: result.reason };
    case "unauthorized":
      return { kind: "unauthorized", message: result.message };
    default:
      return { kind: "connected" };
  }
}

export function describeConnection(state: ConnectionState): string {
  switch (state.kind) {
    case "connecting":
      return "connecting…";
    case "connected":
      return "connected";
    case "degraded":
      return `degraded: the agent ${state.reason}`;
    case "unreachable":
      return `unreachable: ${state.reason}`;
    case "unauthorized":
      return `unauthorized: ${state.message}`;
  }
}
