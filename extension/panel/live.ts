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

export class LiveFeed {
  status: StreamStatus = { kind: "connecting" };
  /** The last event that failed the schema (skipped), for the indicator to mention. */
  lastInvalid: ApiFailure | null = null;
  private readonly eventListeners = new Set<(event: StreamEvent) => void>();
  private readonly statusListeners = new Set<(status: StreamStatus) => void>();
  private readonly stop: () => void;

  constructor(client: AgentClient) {
    this.stop = followEvents(client, {
      onEvent: (event) => this.eventListeners.forEach((listener) => listener(event)),
      onStatus: (status) => {
        this.status = status;
        this.statusListeners.forEach((listener) => listener(status));
      },
      onInvalid: (failure) => {
        this.lastInvalid = failure;
        this.statusListeners.forEach((listener) => listener(this.status));
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
}

export const PanelContext = createContext<PanelContextValue | null>(null);

export function usePanel(): PanelContextValue {
  const value = useContext(PanelContext);
  if (!value) throw new Error("usePanel outside PanelContext");
  return value;
}

export function useLiveStatus(): { status: StreamStatus; lastInvalid: ApiFailure | null } {
  const { live } = usePanel();
  const [, setTick] = useState(0);
  useEffect(() => {
    const off = live.onStatus(() => setTick((n) => n + 1));
    // The stream may have changed status between this render and the subscription: catch up.
    setTick((n) => n + 1);
    return off;
  }, [live]);
  return { status: live.status, lastInvalid: live.lastInvalid };
}
