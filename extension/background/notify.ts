/**
 * Browser notifications of new problems, for the agents opted in from the popup: one per kind of
 * problem per agent per NOTIFY_WINDOW_MS, naming the agent and the problem. When each kind was
 * last notified is kept in storage.local, so a restarted background does not notify it again.
 * A click opens the panel's Problems view of that agent, at that problem.
 */
import browser from "webextension-polyfill";
import type { Agent } from "../agents/agents";
import { setCurrentAgent } from "../agents/store";
import { problemsPath } from "../shared/problem-link";
import { NOTIFY_WINDOW_MS, newProblems, noticeId, parseNoticeId, pickNotices, type NotifiedAt, type ProblemNotice } from "./problems";
import type { AgentStatusMap } from "./status";

const NOTIFIED_KEY = "problemsNotifiedAt";

async function readNotifiedAt(): Promise<NotifiedAt> {
  const value = (await browser.storage.local.get(NOTIFIED_KEY))[NOTIFIED_KEY];
  return typeof value === "object" && value !== null ? (value as NotifiedAt) : {};
}

/** Only the times still inside the window matter: the older ones are dropped as they are written. */
function recent(notifiedAt: NotifiedAt, now: number): NotifiedAt {
  const kept: NotifiedAt = {};
  for (const [agentId, kinds] of Object.entries(notifiedAt)) {
    const live = Object.entries(kinds).filter(([, at]) => typeof at === "number" && now - at < NOTIFY_WINDOW_MS);
    if (live.length) kept[agentId] = Object.fromEntries(live);
  }
  return kept;
}

function show(agent: Agent, notice: ProblemNotice): Promise<unknown> {
  const more = notice.more ? ` (and ${notice.more} more like it)` : "";
  return browser.notifications
    .create(noticeId(agent.id, notice.problem), {
      type: "basic",
      iconUrl: browser.runtime.getURL("icons/icon-128.png"),
      title: `${agent.name}: new problem`,
      message: `${notice.problem.sentence}${more}`,
    })
    .catch(() => undefined);
}

/** Notifies the opted-in agents' problems that `after` has and `before` had not. */
export async function notifyNewProblems(agents: readonly Agent[], before: AgentStatusMap, after: AgentStatusMap): Promise<void> {
  const fresh = agents
    .filter((agent) => agent.notify)
    .map((agent) => {
      const now = after[agent.id]?.findings;
      return { agent, problems: now && now !== before[agent.id]?.findings ? newProblems(before[agent.id]?.findings, now) : [] };
    })
    .filter((entry) => entry.problems.length > 0);
  if (!fresh.length) return;
  const now = Date.now();
  let notifiedAt = recent(await readNotifiedAt(), now);
  const shown: Promise<unknown>[] = [];
  for (const { agent, problems } of fresh) {
    const picked = pickNotices(agent.id, problems, notifiedAt, now);
    notifiedAt = picked.notifiedAt;
    for (const notice of picked.notices) shown.push(show(agent, notice));
  }
  await browser.storage.local.set({ [NOTIFIED_KEY]: notifiedAt });
  await Promise.all(shown);
}

/** Registered at the top level: a click on a notification may wake a stopped background. */
export function openProblemsOnClick(): void {
  browser.notifications.onClicked.addListener((id) => {
    const notice = parseNoticeId(id);
    if (!notice) return;
    void browser.notifications.clear(id);
    void setCurrentAgent(notice.agentId).then(() => browser.tabs.create({ url: browser.runtime.getURL(`panel.html#/${problemsPath(notice.findingId)}`) }));
  });
}
