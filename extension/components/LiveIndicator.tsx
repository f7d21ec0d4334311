/** Says whether the view follows the agent live, or polls because the event stream dropped. */
import { describeFailure, type ApiFailure } from "../api/result";
import type { StreamStatus } from "../api/events";
import { formatTimestamp } from "../shared/format";

export function LiveIndicator({
  status,
  lastInvalid,
  pollSeconds,
  degraded,
}: {
  status: StreamStatus;
  lastInvalid: ApiFailure | null;
  pollSeconds: number;
  degraded: string | null;
}) {
  const invalid = lastInvalid ? ` · last skipped event: ${describeFailure(lastInvalid)}` : "";
  switch (status.kind) {
    case "live":
      if (degraded) {
        return (
          <span class="live-indicator" data-live="degraded" title={`The agent ${degraded}: it cannot hear everything, so what it shows is not live${invalid}`}>
            <span class="dot warn" />
            Degraded
          </span>
        );
      }
      return (
        <span
          class="live-indicator"
          data-live="live"
          title={`Following the agent's event stream since ${formatTimestamp(new Date(status.since).toISOString())}${invalid}`}
        >
          <span class="dot ok pulse" />
          Live{lastInvalid ? " ⚠" : ""}
        </span>
      );
    case "connecting":
      return (
        <span class="live-indicator" data-live="connecting" title="Opening the agent's event stream">
          <span class="dot" />
          Connecting…
        </span>
      );
    case "down":
      return (
        <span
          class="live-indicator"
          data-live="polling"
          title={`Event stream down: ${status.reason}. Retrying at ${formatTimestamp(new Date(status.retryAt).toISOString())}${invalid}`}
        >
          <span class="dot warn" />
          Stream down · polling every {pollSeconds} s
        </span>
      );
  }
}
