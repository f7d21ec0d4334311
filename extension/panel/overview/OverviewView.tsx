/** Overview: workers, active tasks, recent activity per state, queue depths, registered and periodic tasks. */
import { useEffect } from "preact/hooks";
import type { Overview, TaskState, TaskTotals } from "../../../agent/api/schema";
import { StateBadge } from "../../components/badges";
import { Table } from "../../components/Table";
import { formatCount, formatTimestamp, pluralWord } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { href } from "../router";
import { QueueLink, TaskTable, WorkerLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";
import { DepthSparkline, OverviewThroughput, useQueueDepths } from "./OverviewCharts";
import type { Column } from "../../shared/chart-data";

/** A number over its label, singular under a 1 ("1 / Worker offline"); `many` names the card (data-card). */
function Card({ one, many, count, link, tone }: { one: string; many: string; count: number | null; link: string; tone?: string }) {
  return (
    <div class={`card ${tone ?? ""}`} data-card={many}>
      <a class="value" href={link}>
        {formatCount(count)}
      </a>
      <div class="label">{pluralWord(count, one, many)}</div>
    </div>
  );
}

function StateCounts({ counts, title }: { counts: Record<string, number>; title: string }) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a fieldset groups form controls; these are links
    <div class="state-counts" role="group" aria-label={title}>
      <span class="dim">{title}: </span>
      {entries.length === 0 ? <span class="dim">no tasks</span> : null}
      {entries.map(([state, n]) => (
        <a key={state} href={href({ view: "tasks", filters: { state } })} class="state-count">
          <StateBadge state={state as TaskState} /> {formatCount(n)}{" "}
        </a>
      ))}
    </div>
  );
}

/** Tasks per name and per worker: held in the task list, and run as the workers' own stats count them. */
function TaskTotalsTables({ totals }: { totals: TaskTotals }) {
  const ran = (n: number | null) =>
    n === null ? (
      <span class="dim" title="no worker's stats mention it">
        —
      </span>
    ) : (
      formatCount(n)
    );
  return (
    <div class="task-totals">
      <h2>Tasks by name</h2>
      <div class="dim">
        <strong>In the list</strong>: the tasks the agent holds. <strong>Ran (workers' stats)</strong>: what the workers say they ran since each started (
        <code>inspect stats</code>, summed over {totals.ran_reported_by.length ? totals.ran_reported_by.join(", ") : "no worker yet"}).
        {totals.listed_without_name ? ` ${formatCount(totals.listed_without_name)} listed tasks have no name: only their stored result is known.` : ""}
      </div>
      <Table
        label="Tasks by name"
        columns={[
          { label: "Task", render: (r) => <a href={href({ view: "tasks", filters: { name: r.name } })}>{r.name}</a>, className: "truncate" },
          { label: "In the list", render: (r) => formatCount(r.listed), className: "num" },
          { label: "Ran (workers' stats)", render: (r) => ran(r.ran), className: "num" },
        ]}
        rows={totals.by_name}
        rowKey={(r) => r.name}
        empty="No task seen or reported yet."
      />
      <h3>By worker</h3>
      <Table
        label="Tasks by worker"
        columns={[
          { label: "Worker", render: (r) => <WorkerLink name={r.worker} />, className: "truncate" },
          { label: "In the list", render: (r) => formatCount(r.listed), className: "num" },
          { label: "Ran (workers' stats)", render: (r) => ran(r.ran), className: "num" },
        ]}
        rows={totals.by_worker}
        rowKey={(r) => r.worker}
        empty="No worker reported yet."
      />
    </div>
  );
}

/** Problems and warnings among the findings (null while not read, or if they could not be). */
function FindingsCard({ count }: { count: number | null }) {
  return <Card one="Problem or warning" many="Problems and warnings" count={count} link={href({ view: "problems" })} tone={count ? "bad" : undefined} />;
}

function OverviewBody({ data, findings, depths }: { data: Overview; findings: number | null; depths: Map<string, Column> }) {
  // Right after the agent starts, some parts are not read yet: unknown, not zero.
  const pending = new Set(data.pending ?? []);
  const queued = pending.has("queues") ? null : data.queues.reduce((sum, q) => sum + (q.messages ?? 0), 0);
  return (
    <>
      <div class="cards">
        <FindingsCard count={findings} />
        <Card one="Worker online" many="Workers online" count={data.workers.online} link={href({ view: "workers" })} />
        <Card
          one="Worker offline"
          many="Workers offline"
          count={data.workers.offline}
          link={href({ view: "workers" })}
          tone={data.workers.offline ? "bad" : undefined}
        />
        <Card
          one="Active task"
          many="Active tasks"
          count={data.tasks.active}
          link={href({ view: "tasks", filters: { state: "STARTED" satisfies TaskState } })}
        />
        <Card one="Reserved task" many="Reserved tasks" count={data.tasks.reserved} link={href({ view: "workers" })} />
        <Card
          one="Scheduled task"
          many="Scheduled tasks"
          count={data.tasks.scheduled ?? null}
          link={href({ view: "tasks", filters: { state: "SCHEDULED" satisfies TaskState } })}
        />
        <Card one="Queued message" many="Queued messages" count={queued} link={href({ view: "queues" })} />
        <Card one="Periodic task" many="Periodic tasks" count={pending.has("periodic_tasks") ? null : data.periodic_tasks} link={href({ view: "periodic" })} />
      </div>
      <OverviewThroughput />
      <h2>Recent activity</h2>
      <StateCounts counts={data.tasks.last_hour} title="Last hour" />
      <StateCounts counts={data.tasks.last_day} title="Last day" />
      <h3>Latest tasks</h3>
      <TaskTable tasks={data.tasks.latest} empty="No task seen yet." />
      <p>
        <a href={href({ view: "tasks", filters: {} })}>All tasks →</a>
      </p>
      <h2>Queues</h2>
      <Table
        label="Queue depths"
        columns={[
          { label: "Queue", render: (q) => <QueueLink name={q.name} /> },
          { label: "Messages", render: (q) => formatCount(q.messages), className: "num" },
          { label: "Consumers", render: (q) => formatCount(q.consumers), className: "num" },
          { label: "Last hour", render: (q) => <DepthSparkline depths={depths.get(q.name)} /> },
        ]}
        rows={data.queues}
        rowKey={(q) => q.name}
        empty={pending.has("queues") ? "Reading the queues…" : "No queue found."}
      />
      {data.task_totals ? <TaskTotalsTables totals={data.task_totals} /> : null}
      <h2>Registered tasks ({data.registered_tasks.length})</h2>
      {data.registered_tasks.length === 0 ? (
        <div class="dim">No worker has reported its registered tasks.</div>
      ) : (
        <ul class="registered">
          {data.registered_tasks.map((name) => (
            <li key={name}>
              <a href={href({ view: "tasks", filters: { name } })}>{name}</a>
            </li>
          ))}
        </ul>
      )}
      <div class="dim">Generated {formatTimestamp(data.generated_at)}</div>
    </>
  );
}

const PENDING_RETRY_MS = 1000;

export function OverviewView() {
  const overview = useResource((client, signal) => client.get("overview", { signal }), [], {
    refreshOn: (event) => event.type !== "health",
    minIntervalMs: 3000,
  });
  // Parts the agent has not read yet are asked for again shortly, rather than on the next event
  // (an idle deployment may send none for a long time).
  const findings = useResource((client, signal) => client.get("findings", { signal }), [], { refreshOn: (e) => e.type === "findings", minIntervalMs: 1000 });
  const findingCount = findings.data ? findings.data.counts.problem + findings.data.counts.warning : null;
  const depths = useQueueDepths();
  const pending = overview.data?.pending?.length ?? 0;
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(overview.refresh, PENDING_RETRY_MS);
    return () => clearTimeout(timer);
  }, [overview.data]);
  return (
    <PanelView name="overview" heading="Overview" resource={overview} what="overview">
      {(data) => <OverviewBody data={data} findings={findingCount} depths={depths} />}
    </PanelView>
  );
}
