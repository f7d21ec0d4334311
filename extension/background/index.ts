/**
 * The background (Chrome: MV3 service worker; Firefox: event page). Polls every agent's overview
 * on an alarm, stores what it learned and sets the toolbar badge. It keeps nothing that matters
 * in globals: every listener is registered at the top level and reads storage when it runs.
 */
import browser from "webextension-polyfill";
import { createAgentClient } from "../api/client";
import { onStateChange, readState, writeStatuses } from "../agents/store";
import { handleMessages } from "../shared/messages";
import { computeBadge, statusFromOverview, type AgentStatusMap } from "./status";

const POLL_ALARM = "poll-agents";
/** Chrome's shortest alarm period. */
const POLL_PERIOD_MINUTES = 0.5;

async function applyBadge(): Promise<void> {
  const { agents, statuses } = await readState();
  const badge = computeBadge(agents, statuses);
  await Promise.all([
    browser.action.setBadgeText({ text: badge.text }),
    browser.action.setBadgeBackgroundColor({ color: badge.color }),
    browser.action.setTitle({ title: badge.title }),
  ]);
}

async function pollAllAgents(): Promise<AgentStatusMap> {
  const { agents } = await readState();
  const fresh = await Promise.all(
    agents.map(async (agent) => [agent.id, statusFromOverview(await createAgentClient(agent).get("overview"), Date.now())] as const),
  );
  // Agents may have been added or removed while the requests ran: keep the list as it is now.
  const latest = await readState();
  const polled = new Map(fresh);
  const statuses: AgentStatusMap = {};
  for (const agent of latest.agents) {
    const status = polled.get(agent.id) ?? latest.statuses[agent.id];
    if (status) statuses[agent.id] = status;
  }
  await writeStatuses(statuses);
  await applyBadge();
  return statuses;
}

// Concurrent triggers (alarm, popup, storage change) share one poll. Losing this on a
// restart costs at most one extra poll.
let pollInFlight: Promise<AgentStatusMap> | null = null;
function poll(): Promise<AgentStatusMap> {
  pollInFlight ??= pollAllAgents().finally(() => (pollInFlight = null));
  return pollInFlight;
}

async function ensureAlarm(): Promise<void> {
  if (!(await browser.alarms.get(POLL_ALARM))) {
    await browser.alarms.create(POLL_ALARM, { periodInMinutes: POLL_PERIOD_MINUTES, delayInMinutes: POLL_PERIOD_MINUTES });
  }
}

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === POLL_ALARM) void poll();
});
browser.runtime.onInstalled.addListener(() => void poll());
browser.runtime.onStartup.addListener(() => void poll());
handleMessages({ refresh: () => poll() });

// An agent added, edited or removed in any page: check it now rather than at the next alarm.
onStateChange((changed) => {
  if (changed.has("agents")) void poll();
});
void ensureAlarm();
void applyBadge();
