/**
 * The "Celery" devtools panel (also usable as a normal tab: panel.html#/workers), and the same
 * page served by the agent at its root URL (see served.tsx).
 */
import "../components/theme.css";
import "./panel.css";
import type { ComponentChildren } from "preact";
import { render } from "preact";
import { useEffect, useMemo } from "preact/hooks";
import { createAgentClient } from "../api/client";
import type { Agent } from "../agents/agents";
import type { StoredState } from "../agents/store";
import { AgentPicker } from "../components/AgentPicker";
import { LiveIndicator } from "../components/LiveIndicator";
import { AccessNote } from "./AccessNote";
import { HistoryNotice } from "./HistoryNotice";
import { Loading } from "../components/states";
import { BackgroundLink, useBackgroundLink } from "../components/use-live-statuses";
import { useStoredState } from "../components/use-stored-state";
import { formatTimestamp } from "../shared/format";
import { sendMessage } from "../shared/messages";
import { AgentsView } from "./agents/AgentsView";
import { ConfigView } from "./config/ConfigView";
import { applyDevtoolsTheme } from "./devtools-env";
import { LiveFeed, PanelContext, useLiveStatus } from "./live";
import { OverviewView } from "./overview/OverviewView";
import { pageNetwork } from "./page/page-network";
import { pageTasksClass } from "./page/page-script";
import { usePageAgent } from "./page/page-agent";
import { PageView, usePageTasks } from "./page/PageView";
import { PeriodicView } from "./periodic/PeriodicView";
import { ProblemsView } from "./problems/ProblemsView";
import { ServedApp, servedAgent } from "./served";
import { QueueDetailView } from "./queues/QueueDetailView";
import { QueuesView } from "./queues/QueuesView";
import { href, navigate, useRoute, type Route, type ViewName } from "./router";
import { FailuresView } from "./failures/FailuresView";
import { TaskNameView } from "./task-names/TaskNameView";
import { TaskNamesView } from "./task-names/TaskNamesView";
import { TaskDetailView } from "./tasks/TaskDetailView";
import { TasksView } from "./tasks/TasksView";
import { POLL_FALLBACK_MS, useResource } from "./use-resource";
import { WorkerDetailView } from "./workers/WorkerDetailView";
import { WorkersView } from "./workers/WorkersView";

const TABS: readonly { label: string; route: Route; covers: readonly ViewName[] }[] = [
  { label: "Overview", route: { view: "overview" }, covers: ["overview"] },
  { label: "Problems", route: { view: "problems" }, covers: ["problems"] },
  { label: "Workers", route: { view: "workers" }, covers: ["workers", "worker"] },
  { label: "Tasks", route: { view: "tasks", filters: {} }, covers: ["tasks", "task", "taskNames", "taskName", "failures"] },
  { label: "Queues", route: { view: "queues" }, covers: ["queues", "queue"] },
  { label: "Configuration", route: { view: "config" }, covers: ["config"] },
  { label: "Periodic Tasks", route: { view: "periodic" }, covers: ["periodic"] },
];

function RouteView({ route }: { route: Route }) {
  switch (route.view) {
    case "overview":
      return <OverviewView />;
    case "workers":
      return <WorkersView />;
    case "worker":
      return <WorkerDetailView name={route.name} />;
    case "tasks":
      return <TasksView filters={route.filters} />;
    case "task":
      return <TaskDetailView id={route.id} />;
    case "taskNames":
      return <TaskNamesView />;
    case "taskName":
      return <TaskNameView name={route.name} />;
    case "failures":
      return <FailuresView />;
    case "queues":
      return <QueuesView />;
    case "queue":
      return <QueueDetailView name={route.name} />;
    case "config":
      return <ConfigView />;
    case "periodic":
      return <PeriodicView />;
    case "problems":
      return <ProblemsView focus={route.finding} />;
    case "page":
      return <PageView />;
    case "agents":
      return null;
  }
}

function Live() {
  const { status, lastInvalid, degraded } = useLiveStatus();
  return <LiveIndicator status={status} lastInvalid={lastInvalid} pollSeconds={POLL_FALLBACK_MS / 1000} degraded={degraded?.reason ?? null} />;
}

/** Above every view while the agent has lost the broker or the result backend, so nothing reads as live. */
function DegradedNotice() {
  const { degraded } = useLiveStatus();
  if (!degraded) return null;
  return (
    <div class="notice degraded-notice" role="status" data-degraded>
      Not live: the agent {degraded.reason}
      {degraded.since ? ` since ${formatTimestamp(degraded.since)}` : ""}. What follows is what it knew before; worker states and queue depths will be right
      again once it reconnects.
    </div>
  );
}

/** Only in devtools is there an inspected page whose requests can be read; its tasks outlive agent changes. */
const pageTasks = (() => {
  const network = pageNetwork();
  const PageTasks = pageTasksClass();
  return network && PageTasks ? new PageTasks(network) : undefined;
})();

/** One client and one event stream per agent (and token), closed when the agent changes. */
function AgentScope({ agent, stored, children }: { agent: Agent; stored: StoredState | null; children: ComponentChildren }) {
  const scope = useMemo(() => {
    const client = createAgentClient(agent);
    return { agent, client, live: new LiveFeed(client), page: pageTasks };
  }, [agent.id, agent.url, agent.token]);
  useEffect(() => () => scope.live.close(), [scope]);
  usePageAgent(pageTasks, stored, scope);
  return <PanelContext.Provider value={scope}>{children}</PanelContext.Provider>;
}

const PAGE_TAB: (typeof TABS)[number] = { label: "This page", route: { view: "page" }, covers: ["page"] };

/**
 * The views' tabs; Problems first, with its count, while anything is wrong (a problem or a warning);
 * in devtools, "This page" first while the inspected page has started tasks, else after Overview.
 */
function Tabs({ route }: { route: Route }) {
  const findings = useResource((client, signal) => client.get("findings", { signal }), [], { refreshOn: (e) => e.type === "findings", minIntervalMs: 1000 });
  const counts = findings.data?.counts;
  const wrong = counts ? counts.problem + counts.warning : 0;
  const page = usePageTasks();
  const ordered = wrong ? [...TABS.filter((t) => t.label === "Problems"), ...TABS.filter((t) => t.label !== "Problems")] : TABS;
  const tabs = !page ? ordered : page.hasTasks ? [PAGE_TAB, ...ordered] : [ordered[0]!, PAGE_TAB, ...ordered.slice(1)];
  return (
    <>
      {tabs.map((tab) => (
        <a
          key={tab.label}
          href={href(tab.route)}
          class={`tab${tab.covers.includes(route.view) ? " active" : ""}`}
          aria-current={tab.covers.includes(route.view) ? "page" : undefined}
          data-tab={tab.label}
        >
          {tab.label === "Problems" && wrong ? `Problems (${wrong})` : tab.label}
        </a>
      ))}
    </>
  );
}

/** `stored` is null on the page the agent serves: one agent, so no picker and no agents tab. */
function NavBar({ route, stored, agent }: { route: Route; stored: StoredState | null; agent: Agent | null }) {
  return (
    <nav class="navbar" aria-label="Views">
      {agent ? <Tabs route={route} /> : null}
      <span class="spacer" />
      {agent ? (
        <>
          <AccessNote />
          <Live />
          {stored ? <AgentPicker agents={stored.agents} current={agent} statuses={stored.statuses} onManage={() => navigate({ view: "agents" })} /> : null}
        </>
      ) : null}
      {stored ? (
        <a href={href({ view: "agents" })} class={`tab${route.view === "agents" ? " active" : ""}`}>
          Agents
        </a>
      ) : null}
    </nav>
  );
}

function App() {
  const stored = useStoredState();
  const linked = useBackgroundLink();
  const route = useRoute();
  const agent = stored?.current ?? null;
  // Ask the background for fresh reachability whenever the panel opens or changes agent.
  useEffect(() => void sendMessage({ type: "refresh" }).catch(() => undefined), [agent?.id]);
  if (!stored) return <Loading what="agents" />;
  const page = (
    <>
      <NavBar route={route} stored={stored} agent={agent} />
      {agent ? <DegradedNotice /> : null}
      {agent ? <HistoryNotice /> : null}
      <main>{route.view === "agents" || !agent ? <AgentsView stored={stored} /> : <RouteView key={agent.id} route={route} />}</main>
    </>
  );
  return (
    <BackgroundLink.Provider value={linked}>
      {agent ? (
        <AgentScope agent={agent} stored={stored}>
          {page}
        </AgentScope>
      ) : (
        page
      )}
    </BackgroundLink.Provider>
  );
}

function ServedPanel({ agent }: { agent: Agent }) {
  const route = useRoute();
  return (
    <AgentScope agent={agent} stored={null}>
      <NavBar route={route} stored={null} agent={agent} />
      <DegradedNotice />
      <HistoryNotice />
      <main>
        <RouteView route={route.view === "agents" ? { view: "overview" } : route} />
      </main>
    </AgentScope>
  );
}

applyDevtoolsTheme();
const served = servedAgent();
render(served ? <ServedApp agent={served}>{(agent) => <ServedPanel agent={agent} />}</ServedApp> : <App />, document.getElementById("app")!);
