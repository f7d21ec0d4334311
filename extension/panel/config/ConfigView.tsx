/** Configuration: Celery settings by group (secrets arrive masked), disagreements, and the agent's own settings. */
import type { Config } from "../../../agent/api/schema";
import { Badge } from "../../components/badges";
import { KeyValueTable, Table } from "../../components/Table";
import { formatCount, formatJson, NONE, plural } from "../../shared/format";
import { DataView } from "../ResourceView";
import { WorkerLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";

/** Short values on one line; long ones (task_queues...) folded, to keep the groups scannable. */
function SettingValue({ value }: { value: unknown }) {
  const compact = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  if (compact.length <= 100) return <span class="mono">{compact}</span>;
  return (
    <details>
      <summary class="mono">{compact.slice(0, 100)}…</summary>
      <pre>{formatJson(value)}</pre>
    </details>
  );
}

function AgentSettings({ agent }: { agent: Config["agent"] }) {
  return (
    <>
      <h2>This panel's agent</h2>
      <KeyValueTable
        label="Agent settings"
        entries={[
          ["Name", agent.name],
          ["Version", agent.version],
          ["Broker", <span class="mono">{agent.broker}</span>],
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

function ConfigBody({ config }: { config: Config }) {
  return (
    <>
      <div class="dim">
        As reported by {config.reported_by.length ? config.reported_by.map((w) => <span key={w}><WorkerLink name={w} /> </span>) : "no worker (none answered)"}
      </div>
      {config.differences.length ? (
        <div class="notice">
          <strong>Workers disagree on {plural(config.differences.length, "setting")}</strong>
          {config.differences.map((d) => (
            <div key={d.key} class="mono">
              {d.key}: {d.values.map((v) => `${v.worker} = ${formatJson(v.value)}`).join("; ")}
            </div>
          ))}
        </div>
      ) : null}
      {config.groups.length === 0 ? <div class="state-line empty">No worker reported its configuration.</div> : null}
      {config.groups.map((group) => (
        <section key={group.id} class="config-group" data-group={group.id}>
          <h2>{group.title}</h2>
          <Table
            label={group.title}
            columns={[
              { label: "Setting", render: (s) => <span class="mono">{s.key}</span> },
              { label: "Value", render: (s) => <SettingValue value={s.value} /> },
              { label: "", render: (s) => (s.is_default ? <Badge tone="muted">default</Badge> : null) },
            ]}
            rows={group.settings}
            rowKey={(s) => s.key}
            empty="No setting in this group."
          />
        </section>
      ))}
      <AgentSettings agent={config.agent} />
    </>
  );
}

export function ConfigView() {
  const config = useResource((client, signal) => client.get("config", { signal }), []);
  return (
    <DataView name="config" heading="Configuration" resource={config} what="configuration" tools={<button type="button" onClick={config.refresh}>Reload</button>}>
      {(data) => <ConfigBody config={data} />}
    </DataView>
  );
}
