/** The list of agents and the edits people make to it. Pure: storage.ts keeps it. */
import { defaultAgentName, parseAgentUrl } from "./agent-url";

export interface Agent {
  id: string;
  name: string;
  url: string;
  /** Kept in storage.local only, never in sync storage. */
  token: string | null;
  /** Opted in (in the popup) to a browser notification when the agent reports a new problem. */
  notify?: boolean;
}

/** What the add/edit form submits. */
export interface AgentInput {
  id?: string;
  name: string;
  url: string;
  token: string;
}

export type AgentEdit = { ok: true; agents: Agent[]; agent: Agent; permissionPattern: string; loopback: boolean } | { ok: false; message: string };

/**
 * Reads a stored list, dropping entries that do not fit (an older or damaged storage).
 * Hand-checked rather than with zod: the popup then needs no zod at all.
 */
export function parseStoredAgents(value: unknown): Agent[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { id, name, url, token, notify } = entry as Record<string, unknown>;
    if (typeof id !== "string" || !id || typeof url !== "string" || !parseAgentUrl(url).ok) return [];
    const agent: Agent = {
      id,
      url,
      name: typeof name === "string" && name ? name : defaultAgentName(url),
      token: typeof token === "string" && token ? token : null,
    };
    return [notify === true ? { ...agent, notify } : agent];
  });
}

/** Adds (no id) or replaces (id) an agent, after checking its URL and that it is not there twice. */
export function upsertAgent(agents: readonly Agent[], input: AgentInput, newId: () => string): AgentEdit {
  const parsed = parseAgentUrl(input.url);
  if (!parsed.ok) return parsed;
  const twin = agents.find((a) => a.url === parsed.url && a.id !== input.id);
  if (twin) return { ok: false, message: `${parsed.url} is already in the list as "${twin.name}"` };
  if (input.id && !agents.some((a) => a.id === input.id)) return { ok: false, message: "This agent was removed meanwhile" };
  const before = agents.find((a) => a.id === input.id);
  const agent: Agent = {
    id: input.id ?? newId(),
    name: input.name.trim() || defaultAgentName(parsed.url),
    url: parsed.url,
    token: input.token.trim() || null,
    // The form does not show the opt-in: an edit keeps it.
    ...(before?.notify ? { notify: true } : {}),
  };
  const next = input.id ? agents.map((a) => (a.id === input.id ? agent : a)) : [...agents, agent];
  return { ok: true, agents: next, agent, permissionPattern: parsed.permissionPattern, loopback: parsed.loopback };
}

/** The agent's opt-in to notifications of new problems, on or off. */
export function setNotify(agents: readonly Agent[], id: string, notify: boolean): Agent[] {
  return agents.map((a) => {
    if (a.id !== id) return a;
    const { notify: _was, ...rest } = a;
    return notify ? { ...rest, notify } : rest;
  });
}

export function removeAgent(agents: readonly Agent[], id: string): Agent[] {
  return agents.filter((a) => a.id !== id);
}

/** The current agent: the chosen one while it exists, else the first. */
export function currentAgent(agents: readonly Agent[], currentId: string | null): Agent | null {
  return agents.find((a) => a.id === currentId) ?? agents[0] ?? null;
}
