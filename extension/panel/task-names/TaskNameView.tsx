/** One task name's figures: totals, tasks per minute, runtime and wait percentiles over time, the runtime histogram, its failures. */
import type { FailureGroupList, TaskMetrics } from "../../../agent/api/schema";
import { Histogram } from "../../components/charts/Histogram";
import { KeyValueTable } from "../../components/Table";
import { finishedCount, formatShare } from "../../shared/chart-data";
import { formatCount, formatDuration } from "../../shared/format";
import { PanelView, ResourceView } from "../ResourceView";
import { PercentilesChart, ThroughputChart, waitBasisNote, windowLabel } from "../metrics/charts";
import { useMetrics } from "../metrics/use-metrics";
import { useWindowSelect } from "../metrics/WindowSelect";
import { href } from "../router";
import { FailureGroups } from "../failures/FailureGroups";
import type { ResourceState } from "../use-resource";
import type { StreamEvent } from "../../api/events";

function percentiles(p: { p50: number | null; p95: number | null; p99: number | null; count: number }): string {
  return p.count
    ? `p50 ${formatDuration(p.p50)} · p95 ${formatDuration(p.p95)} · p99 ${formatDuration(p.p99)} (${formatCount(p.count)} measured)`
    : "none measured";
}

function Totals({ data }: { data: TaskMetrics }) {
  const { counts, runtime, wait, failure_rate } = data.totals;
  return (
    <KeyValueTable
      label="Totals"
      entries={[
        ["Finished", formatCount(finishedCount(counts))],
        ["Succeeded · failed", `${formatCount(counts.succeeded)} · ${formatCount(counts.failed)} (failure rate ${formatShare(failure_rate)})`],
        ["Retried · revoked · lost", `${formatCount(counts.retried)} · ${formatCount(counts.revoked)} · ${formatCount(counts.lost)}`],
        ["Runtime", percentiles(runtime)],
        ["Queue wait", <span title={waitBasisNote(wait.basis)}>{percentiles(wait)}</span>],
      ]}
    />
  );
}

function NameBody({ data, failures, name }: { data: TaskMetrics; failures: ResourceState<FailureGroupList>; name: string }) {
  const step = data.histogram.percentile_step_seconds;
  return (
    <>
      <Totals data={data} />
      <div class="charts">
        <div>
          <h2>Tasks per minute</h2>
          <ThroughputChart data={data} />
        </div>
        <div>
          <h2>Runtime percentiles</h2>
          <PercentilesChart data={data} figure="runtime" />
        </div>
        <div>
          <h2>Queue wait percentiles</h2>
          <PercentilesChart data={data} figure="wait" />
          <div class="dim chart-note">Measured {waitBasisNote(data.totals.wait.basis)}.</div>
        </div>
        <div>
          <h2>Runtime histogram</h2>
          <Histogram label="Runtime histogram" bins={data.runtime_histogram ?? []} empty="No task of this name finished in this window." />
        </div>
      </div>
      <div class="dim chart-note">
        Percentiles per {formatDuration(step)}, within {Math.round(data.histogram.relative_error * 100)} % of the true value.
      </div>
      <h2>Failures</h2>
      <ResourceView resource={failures} what="failures">
        {(list) => <FailureGroups groups={list.groups} name={name} empty="No task of this name failed in this window." />}
      </ResourceView>
      <p>
        <a href={href({ view: "tasks", filters: { name } })}>Tasks of this name →</a>
      </p>
    </>
  );
}

export function TaskNameView({ name }: { name: string }) {
  const [window, windowSelect] = useWindowSelect();
  const ofThisName = (e: StreamEvent) => e.type === "task" && e.data.name === name;
  const metrics = useMetrics("metricsTasks", { name, window }, ofThisName);
  const failures = useMetrics("failures", { name, window }, ofThisName);
  return (
    <PanelView
      name="task-name"
      heading={[{ label: "Tasks by name", href: href({ view: "taskNames" }) }, { label: name }]}
      resource={metrics}
      what="task figures"
      tools={windowSelect}
    >
      {(data) => (
        <>
          <div class="dim">{windowLabel(data.window_seconds).replace(/^l/, "L")}</div>
          <NameBody data={data} failures={failures} name={name} />
        </>
      )}
    </PanelView>
  );
}
