/** How far we got with one agent: the state the popup, the picker and the badge show. */
import type { ApiResult } from "../api/result";

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "connected" }
  | { kind: "unreachable"; reason: string }
  | { kind: "unauthorized"; message: string };

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
    case "unreachable":
      return `unreachable: ${state.reason}`;
    case "unauthorized":
      return `unauthorized: ${state.message}`;
  }
}
