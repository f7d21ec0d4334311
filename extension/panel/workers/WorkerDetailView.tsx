/** One worker: process, totals per task, active/reserved/scheduled/revoked tasks, queues, pool, resources, broker. */
import type { WorkerDetail, WorkerTask } from "../../../agent/api/schema";
import { WorkerStatusBadge } from "../../components/badges";
import { KeyValueTable, Table, type Column } from "../../components/Table";
import { formatCount, formatDuration, formatJson, formatKilobytes, formatLoad, formatTimestamp, isHidden, NONE } from "../../shared/format";
import { Payload } from "../../components/Payload";
import { PanelView } from "../ResourceView";
import { href } from "../router";
import { QueueLink, TaskLink, Time } from "../tasks/TaskTable";
import { FindingsBox } from "../problems/WhyBox";
import { useResource } from "../use-resource";
import { WorkerCharts } from "./WorkerCharts";

const WORKER_TASK_COLUMNS: readonly Column<WorkerTask>[] = [
  { label: "ID", render: (t) => <TaskLink id={t.id} /> },
  { label: "Name", render: (t) => t.name ?? NONE },
  {
    label: "Args",
    render: (t) =>
      isHidden(t.args) ? (
        <Payload value={t.args} />
      ) : (
        <span class="mono">{[t.args, isHidden(t.kwargs) ? null : t.kwargs].filter(Boolean).join(" ") || NONE}</span>
      ),
    className: "truncate",
  },
  { label: "Started", render: (t) => <Time at={t.started} /> },
  { label: "ETA", render: (t) => <Time at={t.eta} /> },
  { label: "Priority", render: (t) => formatCount(t.priority), className: "num" },
  { label: "Queue", render: (t) => <QueueLink name={t.queue} /> },
  { label: "PID", render: (t) => formatCount(t.worker_pid), className: "num" },
];

function WorkerTasks({ title, tasks }: { title: string; tasks: readonly WorkerTask[] }) {
  return (
    <>
      <h2>
        {title} ({tasks.length})
      </h2>
      <Table label={title} columns={WORKER_TASK_COLUMNS} rows={tasks} rowKey={(t) => t.id} empty={`No ${title.toLowerCase()}.`} />
    </>
  );
}

function WorkerBody({ worker }: { worker: WorkerDetail }) {
  const totals = Object.entries(worker.total).sort(([, a], [, b]) => b - a);
  return (
    <>
      {worker.notes.length ? (
        <div class="notice" role="status">
          {worker.notes.map((note) => (
            <div key={note}>{note}</div>
          ))}
        </div>
      ) : null}
      <KeyValueTable
        label="Worker"
        entries={[
          [
            "Status",
            <>
              <WorkerStatusBadge worker={worker} /> {worker.status_detail ? <span class="dim">{worker.status_detail}</span> : null}
            </>,
          ],
          ["Hostname", worker.hostname],
          ["PID", worker.pid ?? NONE],
          ["Pool", `${worker.pool ?? NONE} × ${formatCount(worker.concurrency)}`],
          ["Pool processes", worker.pool_processes.length ? worker.pool_processes.join(", ") : NONE],
          ["Prefetch count", formatCount(worker.prefetch_count)],
          ["Max tasks per child", formatCount(worker.max_tasks_per_child)],
          ["Uptime", formatDuration(worker.uptime_seconds)],
          ["Processed", formatCount(worker.processed)],
          ["Load average", formatLoad(worker.loadavg)],
          ["CPU time", worker.rusage ? `user ${formatDuration(worker.rusage.utime)} · system ${formatDuration(worker.rusage.stime)}` : NONE],
          ["Memory (max RSS)", formatKilobytes(worker.rusage?.maxrss_kb)],
          ["Last heartbeat", <Time at={worker.last_heartbeat} />],
          ["Clock skew", worker.clock_skew === null ? NONE : formatDuration(worker.clock_skew)],
          ["Software", [worker.sw_ident, worker.sw_ver, worker.sw_sys].filter(Boolean).join(" ") || NONE],
          ["Inspected", formatTimestamp(worker.inspected_at)],
        ]}
      />
      <WorkerCharts name={worker.name} />
      <h2>Totals per task</h2>
      <Table
        label="Totals per task"
        columns={[
          { label: "Task", render: ([name]) => <a href={href({ view: "tasks", filters: { name, worker: worker.name } })}>{name}</a> },
          { label: "Count", render: ([, n]) => formatCount(n), className: "num" },
        ]}
        rows={totals}
        rowKey={([name]) => name}
        empty="No task run yet."
      />
      <WorkerTasks title="Active tasks" tasks={worker.active_tasks} />
      <WorkerTasks title="Reserved tasks" tasks={worker.reserved_tasks} />
      <WorkerTasks title="Scheduled tasks" tasks={worker.scheduled_tasks} />
      <h2>Revoked tasks ({worker.revoked_tasks.length})</h2>
      {worker.revoked_tasks.length ? (
        <div class="mono">
          {worker.revoked_tasks.map((id) => (
            <div key={id}>
              <TaskLink id={id} />
            </div>
          ))}
        </div>
      ) : (
        <div class="dim">None.</div>
      )}
      <h2>Active queues</h2>
      <Table
        label="Active queues"
        columns={[
          { label: "Queue", render: (q) => <QueueLink name={q.name} /> },
          { label: "Exchange", render: (q) => `${q.exchange ?? NONE}${q.exchange_type ? ` (${q.exchange_type})` : ""}` },
          { label: "Routing key", render: (q) => q.routing_key ?? NONE, className: "mono" },
          { label: "Durable", render: (q) => (q.durable === null ? NONE : q.durable ? "yes" : "no") },
          { label: "Max priority", render: (q) => formatCount(q.max_priority), className: "num" },
        ]}
        rows={worker.active_queues}
        rowKey={(q) => q.name}
        empty="The worker did not report its queues."
      />
      <h2>Registered tasks ({worker.registered.length})</h2>
      {worker.registered.length ? (
        <ul class="registered">
          {worker.registered.map((name) => (
            <li key={name} class="mono">
              {name}
            </li>
          ))}
        </ul>
      ) : (
        <div class="dim">Not reported.</div>
      )}
      <h2>Broker connection</h2>
      {worker.broker ? (
        <KeyValueTable
          label="Broker connection"
          entries={Object.entries(worker.broker).map(([k, v]) => [k, <span class="mono">{formatJson(v)}</span>] as const)}
        />
      ) : (
        <div class="dim">Not reported.</div>
      )}
    </>
  );
}

export function WorkerDetailView({ name }: { name: string }) {
  // Remote control answers are slow to gather: refresh on this worker's events, at most every 10 s.
  const worker = useResource((client, signal) => client.get("worker", { params: { name }, signal }), [name], {
    refreshOn: (e) => (e.type === "worker" && e.data.name === name) || e.type === "findings",
    minIntervalMs: 10_000,
  });
  return (
    <PanelView name="worker" heading={[{ label: "Workers", href: href({ view: "workers" }) }, { label: name }]} resource={worker} what="worker">
      {(data) => (
        <>
          <FindingsBox subject={name} findings={data.findings} />
          <WorkerBody worker={data} />
        </>
      )}
    </PanelView>
  );
}
