/** The charts the views share: tasks through a selection over time, and its runtime and wait percentiles. */
import type { TaskMetrics } from "../../../agent/api/schema";
import { TimeChart } from "../../components/charts/TimeChart";
import { countColumn, formatRate, percentileColumn, timesOf } from "../../shared/chart-data";
import { formatDuration } from "../../shared/format";

/** What an empty task chart says: no events at all is the usual reason, and how to turn them on. */
export const NO_TASK_EVENTS = "No task events in this window: workers send them when started with -E (or worker_send_task_events).";

/** Over what a window's figures are counted, for chart titles: "last hour", "last 15 min". */
export function windowLabel(seconds: number): string {
  if (seconds === 3600) return "last hour";
  if (seconds === 86_400) return "last 24 hours";
  return seconds % 3600 === 0 ? `last ${seconds / 3600} hours` : `last ${seconds / 60} min`;
}

export function ThroughputChart({ data, label = "Throughput" }: { data: TaskMetrics; label?: string }) {
  const step = data.step_seconds;
  return (
    <TimeChart
      label={label}
      times={timesOf(data.series)}
      series={[
        { label: "Succeeded", color: "ok", values: countColumn(data.series, "succeeded", step), format: formatRate, fill: true },
        { label: "Failed", color: "bad", values: countColumn(data.series, "failed", step), format: formatRate, fill: true },
        { label: "Received", color: "accent", values: countColumn(data.series, "received", step), format: formatRate, dashed: true },
      ]}
      empty={NO_TASK_EVENTS}
    />
  );
}

/** Runtime or wait percentiles over time; the wait says what it is measured from. */
export function PercentilesChart({ data, figure }: { data: TaskMetrics; figure: "runtime" | "wait" }) {
  const points = data.percentiles;
  const title = figure === "runtime" ? "Runtime" : "Queue wait";
  return (
    <TimeChart
      label={title}
      times={timesOf(points)}
      series={[
        { label: "p50", color: "accent", values: percentileColumn(points, figure, "p50"), format: formatDuration },
        { label: "p95", color: "warn", values: percentileColumn(points, figure, "p95"), format: formatDuration },
        { label: "p99", color: "bad", values: percentileColumn(points, figure, "p99"), format: formatDuration, dashed: true },
      ]}
      empty={figure === "runtime" ? "No task finished in this window." : "No task started in this window."}
    />
  );
}

/** What a queue wait is measured from, in words. */
export function waitBasisNote(basis: string | null): string {
  if (basis === "sent") return "from task-sent to task-started: the time in the queue and the worker's prefetch";
  if (basis === "received") return "from a worker receiving it to task-started (task-sent events are off: the time in the broker's queue is not seen)";
  if (basis === "mixed") return "from task-sent where those events came, else from the worker receiving it";
  return "nothing measured yet";
}
