/** Add, edit, remove and pick agents from the panel. */
import { AgentForm } from "../../components/AgentForm";
import { AgentList } from "../../components/AgentList";
import type { StoredState } from "../../agents/store";
import { navigate } from "../router";

export function AgentsView({ stored }: { stored: StoredState }) {
  return (
    <section class="view" data-view="agents">
      <header class="view-header">
        <h1>Agents</h1>
      </header>
      <p class="dim">
        Each agent watches one Celery deployment. Agents on this machine (127.0.0.1, localhost, [::1]) need no permission; for any other address the browser
        asks once, for that address only.
      </p>
      <AgentList agents={stored.agents} currentId={stored.current?.id ?? null} statuses={stored.statuses} />
      <h2>Add an agent</h2>
      <AgentForm agents={stored.agents} onDone={() => navigate({ view: "overview" })} />
    </section>
  );
}
