/**
 * The background (Chrome: MV3 service worker; Firefox: event page). Follows every agent's event
 * stream while it runs (watch.ts), polls every agent's overview on an alarm as the fallback,
 * stores what it learned and sets the toolbar badge. It keeps nothing that matters in globals:
 * every listener is registered at the top level and reads storage when it runs.
 */
import browser from "webextension-polyfill";
import { ENDPOINT_PATHS } from "../../agent/api/schema/paths";
import { apiPath, createRequester } from "../api/request";
import type { Agent } from "../agents/agents";
import { onStateChange, readState, writeStatuses } from "../agents/store";
import { acceptLinks, handleMessages } from "../shared/messages";
import { notifyNewProblems, openProblemsOnClick } from "./notify";
import { FindingGistListSchema, OverviewFiguresSchema } from "./payloads";
import { computeBadge, statusFromOverview, withPolledFindings, type AgentStatus, type AgentStatusMap } from "./status";
import { watchAgents, type WatchHost } from "./watch";

const POLL_ALARM = "poll-agents";
/** Chrome's shortest alarm period. */
const POLL_PERIOD_MINUTES = 0.5;

async function applyBadge(statuses?: AgentStatusMap): Promise<void> {
  const state = await readState();
  const badge = computeBadge(state.agents, statuses ?? state.statuses);
  await Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: badge.title }),
  ]);
}

/**
 * Every change to the stored statuses goes through this one queue: the alarm's poll and each
 * agent's stream change them concurrently, and a read-modify-write must not lose another's.
 */
let updates: Promise<unknown> = Promise.resolve();
function updateStatuses(change: (statuses: AgentStatusMap, agents: readonly Agent[]) => AgentStatusMap | null): Promise<AgentStatusMap> {
  const run = updates.then(async () => {
    const { agents, statuses } = await readState();
    const next = change(statuses, agents);
    if (!next) return statuses;
    await writeStatuses(next);
    await applyBadge(next);
    // A notification that cannot be shown must not keep the statuses from being stored.
    await notifyNewProblems(agents, statuses, next).catch(() => undefined);
    return next;
  });
  updates = run.catch(() => undefined);
  return run;
}

async function pollAgents(only?: Agent): Promise<AgentStatusMap> {
  const { agents } = await readState();
  const polled = await Promise.all(
    agents
      .filter((agent) => !only || agent.id === only.id)
      .map(async (agent) => {
        const requester = createRequester(agent);
        const [overview, findings] = await Promise.all([
          requester.read(apiPath(ENDPOINT_PATHS.overview), OverviewFiguresSchema),
          requester.read(apiPath(ENDPOINT_PATHS.findings), FindingGistListSchema),
        ]);
        return [agent.id, overview, findings, Date.now()] as const;
      }),
  );
  return updateStatuses((statuses, latest) => {
    // Agents may have been added or removed while the requests ran: keep the list as it is now.
    const next: AgentStatusMap = {};
    for (const agent of latest) {
      const status = statuses[agent.id];
      if (status) next[agent.id] = status;
    }
    for (const [id, overview, findings, at] of polled) {
      if (latest.some((agent) => agent.id === id)) next[id] = withPolledFindings(statusFromOverview(overview, at, statuses[id]), findings, at);
    }
    return next;
  });
}

// Concurrent triggers (alarm, popup, storage change) share one poll of every agent. Losing this
// on a restart costs at most one extra poll.
let pollInFlight: Promise<AgentStatusMap> | null = null;
function poll(): Promise<AgentStatusMap> {
  pollInFlight ??= pollAgents().finally(() => (pollInFlight = null));
  return pollInFlight;
}

const host: WatchHost = {
  poll: (agent) => pollAgents(agent),
  update: async (agentId, change) => {
    await updateStatuses((statuses) => {
      const before = statuses[agentId];
      if (!before) return null;
      const after = change(before);
      return after === before ? null : { ...statuses, [agentId]: after };
    });
  },
};

/** Follows the stored agents' streams (again, after a restart: this worker's streams died with the last one). */
async function watchStoredAgents(): Promise<void> {
  watchAgents((await readState()).agents, host);
}

async function ensureAlarm(): Promise<void> {
  if (!(await browser.alarms.get(POLL_ALARM))) {
    await browser.alarms.create(POLL_ALARM, { periodInMinutes: POLL_PERIOD_MINUTES, delayInMinutes: POLL_PERIOD_MINUTES });
  }
}

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name !== POLL_ALARM) return;
  void poll();
  void watchStoredAgents();
});
/**
 * The browser just started (or the extension was installed or updated): the stored findings are
 * from an earlier session, so the first lists learned now are the baseline, and what they hold is
 * not notified as new. (A background stopped and restarted within a session keeps them: a problem
 * that appeared meanwhile is still news.)
 */
function forgetFindings(): Promise<unknown> {
  return updateStatuses((statuses) => Object.fromEntries(Object.entries(statuses).map(([id, s]) => [id, { ...s, findings: null }])));
}
browser.runtime.onInstalled.addListener(() => void forgetFindings().then(poll));
browser.runtime.onStartup.addListener(() => void forgetFindings().then(poll));
openProblemsOnClick();
handleMessages({ refresh: () => poll() });
// An open popup or panel keeps a link: it wants the streams followed.
acceptLinks(() => void watchStoredAgents());

// An agent added, edited or removed in any page: check it now rather than at the next alarm.
onStateChange((changed) => {
  if (!changed.has("agents")) return;
  void poll();
  void watchStoredAgents();
});

// A fresh start of the background: no stream is followed yet, so no stored status is live.
void updateStatuses((statuses) => {
  const stale = Object.entries(statuses).filter(([, s]) => s.live);
  return stale.length ? { ...statuses, ...Object.fromEntries(stale.map(([id, s]) => [id, { ...s, live: false } satisfies AgentStatus])) } : null;
}).then(() => watchStoredAgents());
void ensureAlarm();
void applyBadge();
