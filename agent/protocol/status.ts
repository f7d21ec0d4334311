/**
 * One connection's state as the panel reports it (connecting, connected, unavailable and why),
 * for any transport: each one feeds it from its own client's events.
 */
import type { ConnectionStatus } from "./transport";

export class StatusTracker {
  private current: ConnectionStatus = { state: "connecting", error: null, since: Date.now() };
  private readonly listeners: ((s: ConnectionStatus) => void)[] = [];

  get(): ConnectionStatus {
    return this.current;
  }

  onChange(l: (s: ConnectionStatus) => void): void {
    this.listeners.push(l);
  }

  set(state: ConnectionStatus["state"], error: string | null = null): void {
    if (state === this.current.state && error === this.current.error) return;
    if (state === this.current.state && state === "unavailable" && error === null) return; // keep the reason
    this.current = { state, error, since: state === this.current.state ? this.current.since : Date.now() };
    for (const l of this.listeners) l(this.current);
  }
}
