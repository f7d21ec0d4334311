/**
 * One event stream per open panel and agent, shared by every view: views subscribe to the
 * events they care about, the indicator to the status.
 */
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { AgentClient } from "../api/client";
import type { ApiFailure } from "../api/result";
import { followEvents, type StreamEvent, type StreamStatus } from "../api/events";
import type { Agent } from "../agents/agents";
import type { PageTasks } from "./page/page-tasks";
import type { Health } from "../../agent/api/schema";
import { degradedReason } from "../shared/connection";

export class LiveFeed {
  status: StreamStatus = { kind: "connecting" };
  /** The agent's health as its stream last told it: whether it still hears the broker. */
  health: Health | null = null;
  /** The last event that failed the schema (skipped), for the indicator to mention. */
  lastInvalid: ApiFailure | null = null;
  private readonly eventListeners = new Set<(event: StreamEvent) => void>();
  private readonly statusListeners = new Set<(status: StreamStatus) => void>();
  private readonly stop: () => void;

  constructor(client: AgentClient) {
    this.stop = followEvents(client, {
      onEvent: (event) => {
        if (event.type === "health") {
          this.health = event.data;
          for (const listener of this.statusListeners) listener(this.status);
        }
        for (const listener of this.eventListeners) listener(event);
      },
      onStatus: (status) => {
        this.status = status;
        for (const listener of this.statusListeners) listener(status);
      },
      onInvalid: (failure) => {
        this.lastInvalid = failure;
        for (const listener of this.statusListeners) listener(this.status);
      },
    });
  }

  onEvent(listener: (event: StreamEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onStatus(listener: (status: StreamStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  close(): void {
    this.stop();
    this.eventListeners.clear();
    this.statusListeners.clear();
  }
}

/** What every view needs: the agent it shows, its client and its live feed. */
export interface PanelContextValue {
  agent: Agent;
  client: AgentClient;
  live: LiveFeed;
  /** The inspected page's tasks (page/page-tasks.ts); absent where there is no page (the web panel). */
  page?: PageTasks;
}

export const PanelContext = createContext<PanelContextValue | null>(null);

export function usePanel(): PanelContextValue {
  const value = useContext(PanelContext);
  if (!value) throw new Error("usePanel outside PanelContext");
  return value;
}

/** What the panel shows of the stream: its status, and why the agent's own data is not live (null when it is). */
export function useLiveStatus(): { status: StreamStatus; lastInvalid: ApiFailure | null; degraded: { reason: string; since: string | null } | null } {
  const { live } = usePanel();
  const [, setTick] = useState(0);
  useEffect(() => {
    const off = live.onStatus(() => setTick((n) => n + 1));
    // The stream may have changed status between this render and the subscription: catch up.
    setTick((n) => n + 1);
    return off;
  }, [live]);
  const health = live.status.kind === "live" ? live.health : null;
  const degraded = health ? degradedReason(health) : null;
  const since = health ? (health.broker.state !== "connected" ? health.broker.since : health.result_backend.since) : null;
  return { status: live.status, lastInvalid: live.lastInvalid, degraded: degraded ? { reason: degraded.reason, since } : null };
}
