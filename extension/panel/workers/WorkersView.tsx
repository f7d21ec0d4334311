/** Workers: status, name, hostname, pool, concurrency, active, processed, load, last heartbeat. */
import type { WorkerSummary } from "../../../agent/api/schema";
import { WorkerStatusBadge } from "../../components/badges";
import { Table, type Column } from "../../components/Table";
import { formatCount, formatLoad, NONE } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { Time, WorkerLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";
import { ActivitySparkline, useWorkerActivity } from "./WorkerCharts";

const COLUMNS: readonly Column<WorkerSummary>[] = [
  { label: "Status", render: (w) => <WorkerStatusBadge worker={w} /> },
  { label: "Name", render: (w) => <WorkerLink name={w.name} /> },
  { label: "Hostname", render: (w) => w.hostname },
  { label: "Pool", render: (w) => w.pool ?? NONE },
  { label: "Concurrency", render: (w) => formatCount(w.concurrency), className: "num" },
  { label: "Active", render: (w) => formatCount(w.active), className: "num" },
  { label: "Processed", render: (w) => formatCount(w.processed), className: "num" },
  { label: "Load", render: (w) => formatLoad(w.loadavg), className: "nowrap mono" },
  { label: "Last heartbeat", render: (w) => <Time at={w.last_heartbeat} />, className: "nowrap" },
];

/** Online first, then by name: an offline worker should not hide among the living. */
function byStatusThenName(a: WorkerSummary, b: WorkerSummary): number {
  return a.status === b.status ? a.name.localeCompare(b.name) : a.status === "offline" ? 1 : -1;
}

export function WorkersView() {
  const workers = useResource((client, signal) => client.get("workers", { signal }), [], { refreshOn: (e) => e.type === "worker" });
  const activity = useWorkerActivity();
  const columns: Column<WorkerSummary>[] = [
    ...COLUMNS,
    { label: "Tasks, last hour", render: (w) => <ActivitySparkline values={activity.columns.get(w.name)} /> },
  ];
  return (
    <PanelView name="workers" heading="Workers" resource={workers} what="workers">
      {(data) => (
        <Table
          label="Workers"
          columns={columns}
          rows={[...data.workers].sort(byStatusThenName)}
          rowKey={(w) => w.name}
          rowClass={(w) => (w.status === "offline" ? "offline" : undefined)}
          empty="No worker seen yet. Workers appear when they send events (celery worker -E) or answer a ping."
        />
      )}
    </PanelView>
  );
}
