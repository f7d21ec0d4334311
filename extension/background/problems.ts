/**
 * What the background keeps of an agent's findings (the counts, and the problems' gist), which
 * problems are new since the last list, and which of those deserve a notification. Pure.
 */
import type { FindingGistList } from "./payloads";

/** A problem finding as the badge's title, the popup and a notification name it. */
export interface ProblemGist {
  /** The agent's finding id: stable while the finding lasts. */
  id: string;
  kind: string;
  sentence: string;
  /** `type:id` of what it is about, e.g. `queue:parked`. */
  subject: string;
}

export interface AgentFindings {
  problem: number;
  warning: number;
  /** The problems, worst-first as the agent lists them, at most MAX_PROBLEMS_KEPT. */
  problems: ProblemGist[];
  /** When the list was learned (ms since epoch). */
  at: number;
}

/** Stored statuses stay small: beyond these, a problem is counted, not named (nor notified). */
export const MAX_PROBLEMS_KEPT = 20;
/** At most one notification per agent and kind of problem in this window. */
export const NOTIFY_WINDOW_MS = 5 * 60_000;

export function findingsOf(list: FindingGistList, at: number): AgentFindings {
  const problems = list.findings
    .filter((f) => f.severity === "problem")
    .slice(0, MAX_PROBLEMS_KEPT)
    .map((f) => ({ id: f.id, kind: f.kind, sentence: f.sentence, subject: `${f.subject.type}:${f.subject.id}` }));
  return { problem: list.counts.problem, warning: list.counts.warning, problems, at };
}

/** Same problems and counts: storing it again would only wake every page for nothing. */
export function sameFindings(a: AgentFindings | null | undefined, b: AgentFindings): boolean {
  if (!a || a.problem !== b.problem || a.warning !== b.warning || a.problems.length !== b.problems.length) return false;
  return a.problems.every((p, i) => p.id === b.problems[i]?.id && p.sentence === b.problems[i]?.sentence);
}

/**
 * The problems in `after` that `before` did not have (by id). Without a `before` (an agent just
 * added, or the browser just started) nothing is new: the first list is what was already there.
 */
export function newProblems(before: AgentFindings | null | undefined, after: AgentFindings): ProblemGist[] {
  if (!before) return [];
  const known = new Set(before.problems.map((p) => p.id));
  return after.problems.filter((p) => !known.has(p.id));
}

/** When each kind of problem was last notified, per agent id. */
export type NotifiedAt = Record<string, Record<string, number>>;

export interface ProblemNotice {
  problem: ProblemGist;
  /** Other new problems of the same kind at once, told as "and N more". */
  more: number;
}

/**
 * The notices to show for an agent's new problems: the first of each kind, unless that kind was
 * notified for this agent less than NOTIFY_WINDOW_MS ago; and the times to remember.
 */
export function pickNotices(
  agentId: string,
  fresh: readonly ProblemGist[],
  notifiedAt: NotifiedAt,
  now: number,
): { notices: ProblemNotice[]; notifiedAt: NotifiedAt } {
  const times = { ...notifiedAt[agentId] };
  const notices: ProblemNotice[] = [];
  for (const problem of fresh) {
    const same = notices.find((n) => n.problem.kind === problem.kind);
    if (same) {
      same.more++;
      continue;
    }
    const last = times[problem.kind];
    if (last !== undefined && now - last < NOTIFY_WINDOW_MS && now >= last) continue;
    times[problem.kind] = now;
    notices.push({ problem, more: 0 });
  }
  return { notices, notifiedAt: notices.length ? { ...notifiedAt, [agentId]: times } : notifiedAt };
}

/** Notification ids carry the agent, so a click knows whose panel to open. */
const NOTICE_PREFIX = "problem|";

export function noticeId(agentId: string, problem: ProblemGist): string {
  return `${NOTICE_PREFIX}${agentId}|${problem.id}`;
}

/** The agent and the finding a notification is about (its id as noticeId made it), or null for another's. */
export function parseNoticeId(id: string): { agentId: string; findingId: string } | null {
  if (!id.startsWith(NOTICE_PREFIX)) return null;
  const rest = id.slice(NOTICE_PREFIX.length);
  const bar = rest.indexOf("|");
  if (bar <= 0) return null;
  return { agentId: rest.slice(0, bar), findingId: rest.slice(bar + 1) };
}
