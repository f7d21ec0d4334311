/** Tasks by name: each name's figures over a window (counts, failure rate, runtime and wait percentiles), sortable. */
import { useState } from "preact/hooks";
import type { SortOrder, TaskNameMetrics } from "../../../agent/api/schema";
import { Table, type Column } from "../../components/Table";
import { finishedCount, formatShare, sortNames, type NameSortKey } from "../../shared/chart-data";
import { formatCount, formatDuration } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { NO_TASK_EVENTS, ThroughputChart, windowLabel } from "../metrics/charts";
import { useMetrics } from "../metrics/use-metrics";
import { useWindowSelect } from "../metrics/WindowSelect";
import { href } from "../router";
import { TasksTabs } from "../tasks/TasksTabs";

const COLUMNS: readonly Column<TaskNameMetrics, NameSortKey>[] = [
  { label: "Task", render: (r) => <a href={href({ view: "taskName", name: r.name })}>{r.name}</a>, className: "truncate", sortKey: "name" },
  { label: "Finished", render: (r) => formatCount(finishedCount(r.counts)), className: "num", sortKey: "count" },
  { label: "Failed", render: (r) => formatCount(r.counts.failed), className: "num" },
  { label: "Failure rate", render: (r) => formatShare(r.failure_rate), className: "num", sortKey: "failure_rate" },
  { label: "p50 runtime", render: (r) => formatDuration(r.runtime.p50), className: "num nowrap", sortKey: "runtime_p50" },
  { label: "p95 runtime", render: (r) => formatDuration(r.runtime.p95), className: "num nowrap", sortKey: "runtime_p95" },
  { label: "p95 wait", render: (r) => formatDuration(r.wait.p95), className: "num nowrap", sortKey: "wait_p95" },
];

export function TaskNamesView() {
  const [window, windowSelect] = useWindowSelect();
  const metrics = useMetrics("metricsTasks", { window });
  const [sort, setSort] = useState<{ key: NameSortKey; order: SortOrder }>({ key: "count", order: "desc" });
  const onSort = (key: NameSortKey) => setSort({ key, order: key === sort.key && sort.order === "desc" ? "asc" : "desc" });
  return (
    <PanelView name="task-names" heading="Tasks" resource={metrics} what="task figures" tools={[<TasksTabs key="tabs" current="taskNames" />, windowSelect]}>
      {(data) => (
        <>
          <h2>Tasks per minute, {windowLabel(data.window_seconds)}</h2>
          <ThroughputChart data={data} />
          <h2>By name</h2>
          <Table
            label="Figures per task name"
            columns={COLUMNS}
            rows={sortNames(data.names, sort.key, sort.order)}
            rowKey={(r) => r.name}
            sort={{ ...sort, onSort }}
            empty={NO_TASK_EVENTS}
          />
          <p class="dim">
            Finished: succeeded, failed, revoked or lost in the window. Failure rate: failed of those that succeeded or failed. Percentiles within{" "}
            {Math.round(data.histogram.relative_error * 100)} % of the true value.
            {data.overflow_name ? ` Names beyond the agent's bound are counted together as ${data.overflow_name}.` : ""}
          </p>
        </>
      )}
    </PanelView>
  );
}
