/** The toolbar popup: the current agent's summary, each agent's problems, the agents with their reachability, add/edit/remove. */
import "../components/theme.css";
import "./popup.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import browser from "webextension-polyfill";
import type { Agent } from "../agents/agents";
import { setCurrentAgent, type StoredState } from "../agents/store";
import type { AgentStatus } from "../background/status";
import { AgentForm } from "../components/AgentForm";
import { AgentList } from "../components/AgentList";
import { ConnectionBadge } from "../components/badges";
import { Loading } from "../components/states";
import { BackgroundLink, useBackgroundLink, useLinked, useNow } from "../components/use-live-statuses";
import { useStoredState } from "../components/use-stored-state";
import { formatAsOf, formatCount, formatRelative, pluralWord } from "../shared/format";
import { freshnessOf } from "../shared/freshness";
import { sendMessage } from "../shared/messages";
import { ProblemsSection } from "./Problems";

async function openPanel(agent: Agent | null, view = "overview"): Promise<void> {
  if (agent) await setCurrentAgent(agent.id);
  await browser.tabs.create({ url: browser.runtime.getURL(`panel.html#/${view}`) });
  window.close();
}

/** A number over its label; `one` is the label's singular ("worker offline" under a 1), `many` names the stat. */
function Stat({ one, many, value, tone }: { one: string; many: string; value: number | null; tone?: "bad" }) {
  return (
    <div class={`stat ${value && tone ? tone : ""}`} data-stat={many}>
      <div class="value">{formatCount(value)}</div>
      <div class="label">{pluralWord(value, one, many)}</div>
    </div>
  );
}

/** When the figures are from: "live", "checked 7 s ago", or (not current) "as of 16:02:11, 40 s ago". */
function Age({ status, now, linked }: { status: AgentStatus; now: number; linked: boolean }) {
  const { current, asOf } = freshnessOf(status, now, linked);
  if (current && linked && status.live) {
    return (
      <span
        class="dim"
        data-age="current"
        title="The background follows the agent's event stream: worker counts and reachability as they change; task figures polled"
      >
        live
      </span>
    );
  }
  if (current)
    return (
      <span class="dim" data-age="current">
        checked {formatRelative(new Date(status.checkedAt).toISOString(), now)}
      </span>
    );
  return asOf === null ? null : (
    <span class="stale-age" data-age="stale">
      {formatAsOf(asOf, now)}
    </span>
  );
}

function CurrentSummary({ agent, status }: { agent: Agent; status: AgentStatus | undefined }) {
  const linked = useLinked();
  const now = useNow();
  const summary = status?.summary;
  const { current, connection } = freshnessOf(status, now, linked);
  return (
    <section class="current" aria-label="Current agent">
      <div class="row">
        <strong>{agent.name}</strong>
        <ConnectionBadge state={connection} long />
        <span class="spacer" />
        {status ? <Age status={status} now={now} linked={linked} /> : null}
      </div>
      {summary ? (
        <div class={`stats${current ? "" : " last-known"}`} data-current={current}>
          <Stat one="worker online" many="workers online" value={summary.workersOnline} />
          <Stat one="worker offline" many="workers offline" value={summary.workersOffline} tone="bad" />
          <Stat one="active task" many="active tasks" value={summary.activeTasks} />
          <Stat one="queue" many="queues" value={summary.queues} />
          <Stat one="queued message" many="queued messages" value={summary.queuedMessages} />
          <Stat one="failed (1 h)" many="failed (1 h)" value={summary.failedLastHour} tone="bad" />
        </div>
      ) : status?.problem ? (
        <div class="error-box">{status.problem}</div>
      ) : null}
    </section>
  );
}

function Popup({ stored }: { stored: StoredState }) {
  const [adding, setAdding] = useState(stored.agents.length === 0);
  const current = stored.current;
  return (
    <>
      <header class="row popup-header">
        <h1>Celery Panel</h1>
        <span class="spacer" />
        <button type="button" class="primary" disabled={!current} onClick={() => void openPanel(current)}>
          Open panel
        </button>
      </header>
      {current ? <CurrentSummary agent={current} status={stored.statuses[current.id]} /> : null}
      <ProblemsSection agents={stored.agents} statuses={stored.statuses} onOpen={(agent, view) => void openPanel(agent, view)} />
      <h2>Agents</h2>
      <AgentList agents={stored.agents} currentId={current?.id ?? null} statuses={stored.statuses} onOpen={(agent) => void openPanel(agent)} />
      {adding ? (
        <AgentForm agents={stored.agents} onDone={() => setAdding(false)} onCancel={stored.agents.length ? () => setAdding(false) : undefined} />
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          + Add agent
        </button>
      )}
    </>
  );
}

function App() {
  const stored = useStoredState();
  const linked = useBackgroundLink();
  // Opening the popup is when people want fresh numbers: poll now.
  useEffect(() => void sendMessage({ type: "refresh" }).catch(() => undefined), []);
  return <BackgroundLink.Provider value={linked}>{stored ? <Popup stored={stored} /> : <Loading what="agents" />}</BackgroundLink.Provider>;
}

render(<App />, document.getElementById("app")!);
