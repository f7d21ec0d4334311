/** What the background learns from polling an agent, and the badge it makes of it. Pure. */
import { describeFailure, type ApiResult } from "../api/result";
import type { Agent } from "../agents/agents";
import { connectionFromResult, degradedReason, type ConnectionState } from "../shared/connection";
import { plural } from "../shared/format";
import type { FindingGistList, OverviewFigures } from "./payloads";
import { findingsOf, sameFindings, type AgentFindings } from "./problems";

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
  /**
   * The agent's findings as last learned (its stream's `findings` events, or a poll): absent until
   * then, and cleared when the browser starts, so that what is there at first is not news.
   */
  findings?: AgentFindings | null;
}

export type AgentStatusMap = Record<string, AgentStatus>;

export function summarize(overview: OverviewFigures): AgentSummary {
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

function connectionOfOverview(result: ApiResult<OverviewFigures>): ConnectionState {
  const degraded = result.kind === "ok" ? degradedReason(result.data.connections) : null;
  return degraded ? { kind: "degraded", ...degraded } : connectionFromResult(result);
}

/** The status a poll of the overview tells; a failed poll keeps the previous figures as last known. */
export function statusFromOverview(result: ApiResult<OverviewFigures>, checkedAt: number, previous?: AgentStatus): AgentStatus {
  const ok = result.kind === "ok";
  return {
    connection: connectionOfOverview(result),
    summary: ok ? summarize(result.data) : (previous?.summary ?? null),
    summaryAt: ok ? checkedAt : (previous?.summaryAt ?? null),
    problem: ok || result.kind === "unreachable" || result.kind === "unauthorized" ? null : describeFailure(result),
    checkedAt,
    live: ok ? (previous?.live ?? false) : false,
    ...(previous?.findings ? { findings: previous.findings } : {}),
  };
}

export interface Badge {
  text: string;
  color: string;
  title: string;
}

export const BADGE_OFFLINE_COLOR = "#d93025";
export const BADGE_TROUBLE_COLOR = "#e37400";
/**
 * An agent reports a problem finding: violet, far from the offline red and the unreachable orange
 * (and apart from them for red-green colour blindness too), with white text readable on it.
 */
export const BADGE_PROBLEM_COLOR = "#7b1fa2";
/** The badge's text when nothing is offline and nothing unreadable, but an agent has a problem. */
export const BADGE_PROBLEM_MARK = "•";
/** Problem sentences named per agent in the badge's title; the rest are "+N more". */
export const TITLE_PROBLEMS = 3;

interface AgentLine {
  line: string;
  offline: number;
  trouble: boolean;
  /** The agent's problem count (0 when it cannot be read: its list is not current). */
  problems: number;
}

function agentLine(agent: Agent, status: AgentStatus | undefined): AgentLine {
  const state = status?.connection ?? { kind: "connecting" as const };
  const line = (text: string, offline: number, trouble: boolean): AgentLine => ({ line: `${agent.name}: ${text}`, offline, trouble, problems: 0 });
  switch (state.kind) {
    case "connecting":
      return line("checking…", 0, false);
    case "unreachable":
      return line(`unreachable (${state.reason})`, 0, true);
    case "unauthorized":
      return line(`unauthorized (${state.message})`, 0, true);
    case "degraded":
      // Without the broker the agent hears no heartbeats: its offline count is not news, leave it out.
      return withFindings(line(`degraded, the agent ${state.reason}`, state.brokerDown ? 0 : (status?.summary?.workersOffline ?? 0), true), status);
    case "connected": {
      if (!status?.summary) return line(status?.problem ?? "no data", 0, true);
      const offline = status.summary.workersOffline;
      return withFindings(line(plural(offline, "offline worker"), offline, false), status);
    }
  }
}

/** An agent that answers: its problems and warnings counted on its line, the first problems named below it. */
function withFindings(line: AgentLine, status: AgentStatus | undefined): AgentLine {
  const findings = status?.findings;
  if (!findings || (findings.problem === 0 && findings.warning === 0)) return line;
  const counts = [findings.problem ? plural(findings.problem, "problem") : "", findings.warning ? plural(findings.warning, "warning") : ""];
  const named = findings.problems.slice(0, TITLE_PROBLEMS).map((p) => `  • ${p.sentence}`);
  const more = findings.problem - named.length;
  return {
    ...line,
    line: [`${line.line}, ${counts.filter(Boolean).join(", ")}`, ...named, ...(more > 0 && named.length ? [`  +${more} more`] : [])].join("\n"),
    problems: findings.problem,
  };
}

/**
 * The toolbar badge. Its text is the number of offline workers over all agents, with "!" when an
 * agent cannot be read (both: "2!"), and "•" when neither but an agent reports a problem: the
 * number keeps one meaning whatever the colour, and the dot says "look" without a second count to
 * confuse with it. Its colour: violet when an agent reports a problem (the title names them),
 * else red for offline workers, else orange. The title names each agent's state.
 */
export function computeBadge(agents: readonly Agent[], statuses: AgentStatusMap): Badge {
  if (agents.length === 0) return { text: "", color: BADGE_OFFLINE_COLOR, title: "Celery Panel: no agent yet" };
  const lines = agents.map((agent) => agentLine(agent, statuses[agent.id]));
  const offline = lines.reduce((sum, l) => sum + l.offline, 0);
  const trouble = lines.some((l) => l.trouble);
  const problems = lines.some((l) => l.problems > 0);
  const text = `${offline > 0 ? offline : ""}${trouble ? "!" : ""}` || (problems ? BADGE_PROBLEM_MARK : "");
  return {
    text,
    color: problems ? BADGE_PROBLEM_COLOR : offline > 0 ? BADGE_OFFLINE_COLOR : BADGE_TROUBLE_COLOR,
    title: ["Celery Panel", ...lines.map((l) => l.line)].join("\n"),
  };
}

/** A poll's findings folded into the status: a failed read keeps the last known (and the baseline). */
export function withPolledFindings(status: AgentStatus, result: ApiResult<FindingGistList>, at: number): AgentStatus {
  if (result.kind !== "ok") return status;
  const findings = findingsOf(result.data, at);
  return sameFindings(status.findings, findings) ? status : { ...status, findings };
}
