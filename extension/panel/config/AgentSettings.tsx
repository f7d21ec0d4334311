/** The agent's own settings and which source serves each view, under the workers' configuration. */
import type { Config } from "../../../agent/api/schema";
import { KeyValueTable, Table } from "../../components/Table";
import { formatCount, NONE } from "../../shared/format";
import { SettingValue } from "./SettingValue";

export function AgentSettings({ agent }: { agent: Config["agent"] }) {
  return (
    <>
      <h2>This panel's agent</h2>
      <KeyValueTable
        label="Agent settings"
        entries={[
          ["Name", agent.name],
          ["Version", agent.version],
          ["Broker", <span class="mono">{agent.broker_kind ? `${agent.broker_kind} ${agent.broker}` : agent.broker}</span>],
          ...(agent.broker_api ? [["Broker management API", <span class="mono">{agent.broker_api}</span>] as const] : []),
          ["Result backend", <span class="mono">{agent.result_backend ?? NONE}</span>],
          ["Listening on", <span class="mono">{agent.listen}</span>],
          ["Token required", agent.token_required ? "yes" : "no"],
          ["Inspect timeout", `${formatCount(agent.inspect_timeout_ms)} ms`],
          ["Tasks kept in memory", formatCount(agent.max_tasks)],
          ["Transport options", <SettingValue value={agent.transport_options} />],
          // Only agents reading Django's databases (--tasks-db, --beat-db) have these.
          ...(agent.tasks_db ? [["Tasks database", <span class="mono">{agent.tasks_db}</span>] as const] : []),
          ...(agent.beat_db ? [["Beat database", <span class="mono">{agent.beat_db}</span>] as const] : []),
        ]}
      />
      <h3>Which source serves each view</h3>
      <Table
        label="Sources per view"
        columns={[
          { label: "View", render: (s) => s.view },
          { label: "Source", render: (s) => <span class="mono">{s.source}</span> },
        ]}
        rows={agent.sources}
        rowKey={(s) => s.view}
        empty="The agent did not say."
      />
    </>
  );
}
