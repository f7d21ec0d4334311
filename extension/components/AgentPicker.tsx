/** Picks the current agent; shows each one's reachability as the background sees it now (not current: "connecting…"). */
import type { Agent } from "../agents/agents";
import { setCurrentAgent } from "../agents/store";
import type { AgentStatusMap } from "../background/status";
import { formatAsOf } from "../shared/format";
import { freshnessOf } from "../shared/freshness";
import { ConnectionBadge } from "./badges";
import { useLinked, useNow } from "./use-live-statuses";

const MANAGE = "__manage__";

export function AgentPicker({
  agents,
  current,
  statuses,
  onManage,
}: {
  agents: readonly Agent[];
  current: Agent;
  statuses: AgentStatusMap;
  onManage: () => void;
}) {
  const linked = useLinked();
  const now = useNow();
  const shown = freshnessOf(statuses[current.id], now, linked);
  return (
    <span class="agent-picker" data-agent-state={shown.connection.kind}>
      <select
        aria-label="Agent"
        value={current.id}
        onChange={(e) => {
          const value = e.currentTarget.value;
          if (value === MANAGE) {
            e.currentTarget.value = current.id;
            onManage();
          } else void setCurrentAgent(value);
        }}
      >
        {agents.map((agent) => (
          <option key={agent.id} value={agent.id}>
            {agent.name} ({freshnessOf(statuses[agent.id], now, linked).connection.kind})
          </option>
        ))}
        <option value={MANAGE}>Manage agents…</option>
      </select>
      <ConnectionBadge state={shown.connection} />
      {!shown.current && shown.connection.kind !== "connecting" && shown.asOf !== null ? (
        <span class="stale-age">last known {formatAsOf(shown.asOf, now)}</span>
      ) : null}
    </span>
  );
}
