/**
 * Which agent the "This page" view asks: the one chosen for the inspected page's origin (kept in
 * extension storage, agents/store.ts), else the panel's current agent. The page's PageTasks outlives
 * changes of agent; usePageAgent connects it: through the panel's own client and event stream when
 * the page's agent is the current one, else through a client and stream of its own.
 */
import { useEffect, useState } from "preact/hooks";
import type { Agent } from "../../agents/agents";
import type { StoredState } from "../../agents/store";
import { createAgentClient } from "../../api/client";
import { LiveFeed, type PanelContextValue } from "../live";
import type { PageTasks } from "./page-tasks";

/** The agent chosen for `origin` while it still exists, else `current`. */
export function pageAgentOf(stored: Pick<StoredState, "agents" | "pageAgents">, origin: string | null, current: Agent): Agent {
  const chosen = origin === null ? undefined : stored.pageAgents[origin];
  return stored.agents.find((a) => a.id === chosen) ?? current;
}

/** The page's origin, re-rendering when it changes. */
export function usePageOrigin(page: PageTasks | undefined): string | null {
  const [origin, setOrigin] = useState(page?.origin ?? null);
  useEffect(() => page?.subscribe(() => setOrigin(page.origin)), [page]);
  return origin;
}

/** Keeps `page` connected to its agent as the origin, the choice or the current agent change. */
export function usePageAgent(page: PageTasks | undefined, stored: StoredState | null, scope: PanelContextValue): void {
  const origin = usePageOrigin(page);
  const agent = stored ? pageAgentOf(stored, origin, scope.agent) : scope.agent;
  useEffect(() => {
    if (!page) return;
    if (agent.id === scope.agent.id) return page.connect(agent.id, scope.client, scope.live);
    const client = createAgentClient(agent);
    const live = new LiveFeed(client);
    page.connect(agent.id, client, live);
    return () => live.close();
  }, [page, agent.id, agent.url, agent.token, scope]);
}
