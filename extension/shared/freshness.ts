/**
 * Whether an agent's stored status is current, or last known. Pages show a status as current
 * only while it is: the background follows the agent's stream and the page is linked to the
 * background (so the background is running), or the last poll is a few seconds old. Anything
 * else is shown greyed with its age, never as "connected" or "just now". Pure.
 */
import type { AgentStatus } from "../background/status";
import type { ConnectionState } from "./connection";

/** How long a polled status counts as current without the background following the stream. */
export const POLLED_FRESH_MS = 10_000;

export interface Freshness {
  /** The connection state and figures are current. */
  current: boolean;
  /** The connection state to show: a "connected" that is no longer current reads "connecting…" (being checked). */
  connection: ConnectionState;
  /** When the figures were last known good, for "as of …" (null: no figures yet). */
  asOf: number | null;
}

export function freshnessOf(status: AgentStatus | undefined, now: number, linked: boolean): Freshness {
  if (!status) return { current: false, connection: { kind: "connecting" }, asOf: null };
  const confirmed = (linked && status.live === true) || now - status.checkedAt < POLLED_FRESH_MS;
  const reachable = status.connection.kind === "connected";
  return {
    current: reachable && confirmed,
    connection: reachable && !confirmed ? { kind: "connecting" } : status.connection,
    asOf: status.summary ? (status.summaryAt ?? status.checkedAt) : null,
  };
}
