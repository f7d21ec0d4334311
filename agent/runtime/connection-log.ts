/**
 * The log lines about the agent's connections (broker, result backend): one line when a connection
 * comes up or goes down, not one per retry while it stays down, and none while the agent stops.
 */
import type { ConnectionStatus } from "../protocol/transport";
import { log } from "../base/log";

export type ConnectionName = "broker" | "result_backend";

export class ConnectionLog {
  /** The state last logged per connection, so a flapping reason is not logged twice. */
  private readonly logged = new Map<ConnectionName, ConnectionStatus["state"]>();
  private quiet = false;

  /** Closing the connections on stop is not news. */
  stop(): void {
    this.quiet = true;
  }

  status(what: ConnectionName, description: string, s: ConnectionStatus): void {
    if (this.quiet || s.state === "connecting" || this.logged.get(what) === s.state) return;
    const wasConnected = this.logged.get(what) === "connected";
    this.logged.set(what, s.state);
    const label = what === "broker" ? "broker" : "result backend";
    if (s.state === "connected") {
      log(`${what}.connected`, `${label} connected: ${description}`, { url: description });
      return;
    }
    const reason = s.error ?? "unavailable";
    const message = `${label} ${wasConnected ? "disconnected" : "unavailable"}: ${description}: ${reason} (retrying)`;
    log(`${what}.disconnected`, message, { url: description, reason }, "warn");
  }
}
