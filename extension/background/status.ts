/** What the background learns from polling an agent, and the badge it makes of it. Pure. */
import type { Overview } from "../../agent/api/schema";
import { describeFailure, type ApiResult } from "../api/result";
import type { Agent } from "../agents/agents";
import { connectionFromResult, degradedReason, type ConnectionState } from "../shared/connection";
import { plural } from "../shared/format";

export interface AgentSummary {
  workersOnline: number;
  workersOffline: number;
  workersBusy: number;
  activeTasks: number;
  queues: number;
  /** Sum of the queue depths the agent could read. */
  queuedMessages: number;
  failedLastHour: number;
}

export interface AgentStatus {
  connection: ConnectionState;
  /**
   * The last known figures: kept when the agent stops answering, so pages can show them as last
   * known (with `summaryAt`). Null until the agent answered with a valid overview.
   */
  summary: AgentSummary | null;
  /** When `summary` was last read or brought up to date from the agent's event stream. Absent from older statuses. */
  summaryAt?: number | null;
  /** Why there is no summary although the agent answered (invalid body, HTTP error). */
  problem: string | null;
  /** When the connection state was last confirmed (a poll, or the event stream opening). */
  checkedAt: number;
  /**
   * The background follows the agent's event stream: connection and worker counts are current
   * (while the background runs: pages check that through their link to it).
   */
  live?: boolean;
}

export type AgentStatusMap = Record<string, AgentStatus>;

export function summarize(overview: Overview): AgentSummary {
  return {
    workersOnline: overview.workers.online,
    workersOffline: overview.workers.offline,
    workersBusy: overview.workers.busy,
    activeTasks: overview.tasks.active,
    queues: overview.queues.length,
    queuedMessages: overview.queues.reduce((sum, q) => sum + (q.messages ?? 0), 0),
    failedLastHour: overview.tasks.last_hour.FAILURE ?? 0,
  };
}

function connectionOfOverview(result: ApiResult<Overview>): ConnectionState {
  const degraded = result.kind === "ok" ? degradedReason(result.data.connections) : null;
  return degraded ? { kind: "degraded", ...degraded } : connectionFromResult(result);
}

/** The status a poll of the overview tells; a failed poll keeps the previous figures as last known. */
export function statusFromOverview(result: ApiResult<Overview>, checkedAt: number, previous?: AgentStatus): AgentStatus {
  const ok = result.kind === "ok";
  return {
    connection: connectionOfOverview(result),
    summary: ok ? summarize(result.data) : (previous?.summary ?? null),
    summaryAt: ok ? checkedAt : (previous?.summaryAt ?? null),
    problem: ok || result.kind === "unreachable" || result.kind === "unauthorized" ? null : describeFailure(result),
    checkedAt,
    live: ok ? (previous?.live ?? false) : false,
  };
}

export interface Badge {
  text: string;
  color: string;
  title: string;
}

export const BADGE_OFFLINE_COLOR = "#d93025";
export const BADGE_TROUBLE_COLOR = "#e37400";

function agentLine(agent: Agent, status: AgentStatus | undefined): { line: string; offline: number; trouble: boolean } {
  const state = status?.connection ?? { kind: "connecting" as const };
  switch (state.kind) {
    case "connecting":
      return { line: `${agent.name}: checking…`, offline: 0, trouble: false };
    case "unreachable":
      return { line: `${agent.name}: unreachable (${state.reason})`, offline: 0, trouble: true };
    case "unauthorized":
      return { line: `${agent.name}: unauthorized (${state.message})`, offline: 0, trouble: true };
    case "degraded": {
      // Without the broker the agent hears no heartbeats: its offline count is not news, leave it out.
      const offline = state.brokerDown ? 0 : (status?.summary?.workersOffline ?? 0);
      return { line: `${agent.name}: degraded, the agent ${state.reason}`, offline, trouble: true };
    }
    case "connected": {
      if (!status?.summary) return { line: `${agent.name}: ${status?.problem ?? "no data"}`, offline: 0, trouble: true };
      const offline = status.summary.workersOffline;
      return { line: `${agent.name}: ${plural(offline, "offline worker")}`, offline, trouble: false };
    }
  }
}

/**
 * The toolbar badge: the number of offline workers over all agents (red), "!" when an agent
 * cannot be read (both: "2!"), nothing when all is well. The title names each agent's count.
 */
export function computeBadge(agents: readonly Agent[], statuses: AgentStatusMap): Badge {
  if (agents.length === 0) return { text: "", color: BADGE_OFFLINE_COLOR, title: "Celery Panel: no agent yet" };
  const lines = agents.map((agent) => agentLine(agent, statuses[agent.id]));
  const offline = lines.reduce((sum, l) => sum + l.offline, 0);
  const trouble = lines.some((l) => l.trouble);
  const text = `${offline > 0 ? offline : ""}${trouble ? "!" : ""}`;
  return {
    text,
    color: offline > 0 ? BADGE_OFFLINE_COLOR : BADGE_TROUBLE_COLOR,
    title: ["Celery Panel", ...lines.map((l) => l.line)].join("\n"),
  };
}
