/** Picks the current agent; shows each one's reachability as the background last saw it. */
import type { Agent } from "../agents/agents";
import { setCurrentAgent } from "../agents/store";
import type { AgentStatusMap } from "../background/status";
import { ConnectionBadge } from "./badges";

const MANAGE = "__manage__";

export function AgentPicker({ agents, current, statuses, onManage }: { agents: readonly Agent[]; current: Agent; statuses: AgentStatusMap; onManage: () => void }) {
  return (
    <span class="agent-picker">
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
            {agent.name} ({statuses[agent.id]?.connection.kind ?? "connecting"})
          </option>
        ))}
        <option value={MANAGE}>Manage agents…</option>
      </select>
      <ConnectionBadge state={statuses[current.id]?.connection} />
    </span>
  );
}
