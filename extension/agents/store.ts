/**
 * Agents, the current agent and the polled statuses, kept in `browser.storage.local`
 * (tokens included, so nothing here ever goes to sync storage). Storage, not memory, is the
 * source of truth: the MV3 service worker may be stopped at any time.
 */
import browser from "webextension-polyfill";
import type { AgentStatusMap } from "../background/status";
import { currentAgent, parseStoredAgents, removeAgent, setNotify, upsertAgent, type Agent, type AgentEdit, type AgentInput } from "./agents";
import { parseAgentUrl } from "./agent-url";

const KEYS = { agents: "agents", current: "currentAgentId", statuses: "agentStatus", pageAgents: "pageAgentIds" } as const;

export interface StoredState {
  agents: Agent[];
  currentAgentId: string | null;
  /** The agent the panel and popup show: the picked one, else the first. */
  current: Agent | null;
  statuses: AgentStatusMap;
  /** The agent chosen in devtools' "This page" view for a site: origin -> agent id. */
  pageAgents: Record<string, string>;
}

/** Only string-to-string entries of what storage holds (an older or damaged value gives none). */
function parsePageAgents(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

export async function readState(): Promise<StoredState> {
  const stored = await browser.storage.local.get([KEYS.agents, KEYS.current, KEYS.statuses, KEYS.pageAgents]);
  const agents = parseStoredAgents(stored[KEYS.agents]);
  const currentAgentId = typeof stored[KEYS.current] === "string" ? (stored[KEYS.current] as string) : null;
  const statuses = (stored[KEYS.statuses] ?? {}) as AgentStatusMap;
  return { agents, currentAgentId, current: currentAgent(agents, currentAgentId), statuses, pageAgents: parsePageAgents(stored[KEYS.pageAgents]) };
}

export type StateKey = keyof typeof KEYS;

/** Calls back with what changed (agents, current, statuses), whichever extension page changed it. */
export function onStateChange(callback: (changed: ReadonlySet<StateKey>) => void): () => void {
  const entries = Object.entries(KEYS) as [StateKey, string][];
  const listener = (changes: Record<string, unknown>, area: string) => {
    if (area !== "local") return;
    const changed = new Set(entries.filter(([, storageKey]) => storageKey in changes).map(([key]) => key));
    if (changed.size > 0) callback(changed);
  };
  browser.storage.onChanged.addListener(listener);
  return () => browser.storage.onChanged.removeListener(listener);
}

/** Adds or edits an agent; a new agent becomes the current one. */
export async function saveAgent(input: AgentInput): Promise<AgentEdit> {
  const { agents } = await readState();
  const edit = upsertAgent(agents, input, () => crypto.randomUUID());
  if (!edit.ok) return edit;
  await browser.storage.local.set({ [KEYS.agents]: edit.agents, ...(input.id ? {} : { [KEYS.current]: edit.agent.id }) });
  return edit;
}

export async function deleteAgent(id: string): Promise<void> {
  const { agents, statuses } = await readState();
  const removed = agents.find((a) => a.id === id);
  const rest = removeAgent(agents, id);
  const { [id]: _dropped, ...otherStatuses } = statuses;
  await browser.storage.local.set({ [KEYS.agents]: rest, [KEYS.statuses]: otherStatuses });
  if (removed) await releaseHostAccess(removed.url, rest);
}

/** Turns the agent's notifications of new problems on or off. */
export async function setAgentNotify(id: string, notify: boolean): Promise<void> {
  const { agents } = await readState();
  await browser.storage.local.set({ [KEYS.agents]: setNotify(agents, id, notify) });
}

export async function setCurrentAgent(id: string): Promise<void> {
  await browser.storage.local.set({ [KEYS.current]: id });
}

/** Remembers the agent to ask about the tasks of pages of `origin`. */
export async function setPageAgent(origin: string, agentId: string): Promise<void> {
  const { pageAgents } = await readState();
  await browser.storage.local.set({ [KEYS.pageAgents]: { ...pageAgents, [origin]: agentId } });
}

export async function writeStatuses(statuses: AgentStatusMap): Promise<void> {
  await browser.storage.local.set({ [KEYS.statuses]: statuses });
}

/**
 * Asks for access to the agent's origin alone. Call it first thing in the click handler:
 * browsers accept the request only while handling the person's gesture. Loopback agents
 * are covered by host_permissions and need no prompt.
 */
export async function requestHostAccess(url: string): Promise<boolean> {
  const parsed = parseAgentUrl(url);
  if (!parsed.ok) return false;
  if (parsed.loopback) return true;
  return browser.permissions.request({ origins: [parsed.permissionPattern] });
}

/** Gives back an optional host permission that no remaining agent needs. */
async function releaseHostAccess(url: string, remaining: readonly Agent[]): Promise<void> {
  const parsed = parseAgentUrl(url);
  if (!parsed.ok || parsed.loopback) return;
  const stillUsed = remaining.some((a) => {
    const other = parseAgentUrl(a.url);
    return other.ok && other.permissionPattern === parsed.permissionPattern;
  });
  if (!stillUsed) await browser.permissions.remove({ origins: [parsed.permissionPattern] }).catch(() => false);
}
