/**
 * Configuration: Celery settings by group (secrets arrive masked), what the events show beside what
 * conf says, disagreements, and the agent's own settings. Defaults are hidden unless asked for:
 * they are most of the list and say nothing about this deployment.
 */
import { useState } from "preact/hooks";
import type { Config, Setting } from "../../../agent/api/schema";
import { Badge } from "../../components/badges";
import { Table } from "../../components/Table";
import { formatJson, plural } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { WorkerLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";
import { AgentSettings } from "./AgentSettings";
import { SettingCell, settingText } from "./SettingValue";

interface Filters {
  query: string;
  showDefaults: boolean;
}

/** A default is still worth showing when the events contradict or complete it (-E, routing keys seen). */
const speaksUp = (s: Setting) => s.observed?.value !== null && s.observed?.value !== undefined;
const shownWithout = (s: Setting, showDefaults: boolean) => showDefaults || !s.is_default || speaksUp(s);

function Differences({ config }: { config: Config }) {
  if (!config.differences.length) return null;
  return (
    <div class="notice" data-differences={config.differences.length}>
      <strong>Workers disagree on {plural(config.differences.length, "setting")}</strong>
      {config.differences.map((d) => (
        <div key={d.key} class="mono">
          {d.key}: {d.values.map((v) => `${v.worker} = ${formatJson(v.value)}`).join("; ")}
        </div>
      ))}
    </div>
  );
}

function Toolbar({ filters, set, defaults }: { filters: Filters; set: (f: Filters) => void; defaults: number }) {
  return (
    <div class="config-tools">
      <input
        type="search"
        class="config-search"
        placeholder="Filter by setting or value"
        aria-label="Filter settings by name or value"
        value={filters.query}
        onInput={(e) => set({ ...filters, query: (e.target as HTMLInputElement).value })}
      />
      <label class="show-defaults">
        <input type="checkbox" checked={filters.showDefaults} onChange={() => set({ ...filters, showDefaults: !filters.showDefaults })} />
        {` show defaults (${defaults})`}
      </label>
    </div>
  );
}

function ConfigBody({ config }: { config: Config }) {
  const [filters, setFilters] = useState<Filters>({ query: "", showDefaults: false });
  const all = config.groups.flatMap((g) => g.settings);
  const defaults = all.filter((s) => s.is_default).length;
  const query = filters.query.trim().toLowerCase();
  const matches = (s: Setting) => !query || settingText(s).includes(query);
  const groups = config.groups
    .map((g) => ({ ...g, settings: g.settings.filter((s) => matches(s) && shownWithout(s, filters.showDefaults)) }))
    .filter((g) => g.settings.length);
  // Matches the toggle keeps out of sight: said, so a search never looks emptier than it is.
  const hiddenMatches = query && !filters.showDefaults ? all.filter((s) => matches(s) && !shownWithout(s, false)).length : 0;
  return (
    <>
      <div class="dim">
        As reported by{" "}
        {config.reported_by.length
          ? config.reported_by.map((w) => (
              <span key={w}>
                <WorkerLink name={w} />{" "}
              </span>
            ))
          : "no worker (none answered)"}
      </div>
      <Differences config={config} />
      {all.length === 0 ? (
        <div class="state-line empty">No worker reported its configuration.</div>
      ) : (
        <Toolbar filters={filters} set={setFilters} defaults={defaults} />
      )}
      {all.length && !groups.length ? (
        <div class="state-line empty">{query ? `No setting matches “${filters.query}”.` : "Every setting is at Celery's default."}</div>
      ) : null}
      {hiddenMatches ? (
        <div class="dim hidden-matches">
          {plural(hiddenMatches, "more matching setting", "more matching settings")} at their default:{" "}
          <button type="button" onClick={() => setFilters({ ...filters, showDefaults: true })}>
            show defaults
          </button>
        </div>
      ) : null}
      {groups.map((group) => (
        <section key={group.id} class="config-group" data-group={group.id}>
          <h2>{group.title}</h2>
          <Table
            label={group.title}
            columns={[
              { label: "Setting", render: (s) => <span class="mono">{s.key}</span> },
              { label: "Value", render: (s) => <SettingCell setting={s} /> },
              { label: "", render: (s) => (s.is_default ? <Badge tone="muted">default</Badge> : null) },
            ]}
            rows={group.settings}
            rowKey={(s) => s.key}
            rowClass={(s) => (s.is_default ? "default-setting" : undefined)}
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
    <PanelView name="config" heading="Configuration" resource={config} what="configuration" reload>
      {(data) => <ConfigBody config={data} />}
    </PanelView>
  );
}
