/** A worker's figures over the last hour: tasks it finished per minute, how busy its pool was, its memory. */
import type { WorkerMetrics } from "../../../agent/api/schema";
import { Sparkline } from "../../components/charts/Sparkline";
import { TimeChart } from "../../components/charts/TimeChart";
import { type Column, elapsedShare, formatBytes, formatRate, formatShare, perMinute, soFar, timesOf } from "../../shared/chart-data";
import { ChartsSection } from "../metrics/ChartsSection";
import { NO_TASK_EVENTS } from "../metrics/charts";
import { useMetrics } from "../metrics/use-metrics";

const ofWorker = (name: string) => (e: { type: string; data: unknown }) =>
  (e.type === "task" && (e.data as { worker?: string | null }).worker === name) || (e.type === "worker" && (e.data as { name?: string }).name === name);

function Charts({ worker, step }: { worker: WorkerMetrics; step: number }) {
  const times = timesOf(worker.series);
  const memory = worker.series.map((p) => p.rss_bytes);
  return (
    <div class="charts">
      <div>
        <h2>Tasks per minute</h2>
        <TimeChart
          label="Worker tasks per minute"
          times={times}
          series={[
            {
              label: "Finished",
              color: "ok",
              values: worker.series.map((p) => perMinute(p.tasks, step, elapsedShare(p.at, step, Date.now()))),
              format: formatRate,
              fill: true,
            },
          ]}
          empty={NO_TASK_EVENTS}
        />
      </div>
      <div>
        <h2>Busy share of the pool</h2>
        <TimeChart
          label="Busy share"
          times={times}
          series={[
            {
              label: "Busy",
              color: "warn",
              values: soFar(
                worker.series,
                worker.series.map((p) => p.busy_share),
                step,
              ).map((v) => (v === null ? null : Math.min(1, v))),
              format: formatShare,
              fill: true,
            },
          ]}
          empty={worker.concurrency === null ? "The pool's size is not known yet: no share to tell." : "The pool was idle in the last hour."}
        />
      </div>
      {memory.some((v) => v !== null) ? (
        <div>
          <h2>Memory (max RSS)</h2>
          <TimeChart label="Memory" times={times} series={[{ label: "Max RSS", color: "violet", values: memory, format: formatBytes }]} empty="" />
        </div>
      ) : null}
    </div>
  );
}

export function WorkerCharts({ name }: { name: string }) {
  const metrics = useMetrics("metricsWorkers", { window: "1h" }, ofWorker(name));
  return (
    <ChartsSection
      of="worker"
      what="worker figures"
      resource={metrics}
      pick={(data) => data.workers.find((w) => w.name === name)}
      none={() => "No figures for this worker in the last hour: it has finished no task the agent saw."}
    >
      {(worker, data) => <Charts worker={worker} step={data.step_seconds} />}
    </ChartsSection>
  );
}

/** Each worker's tasks per minute over the last hour, by name, for the list's sparklines. */
export function useWorkerActivity(): { columns: Map<string, Column>; step: number } {
  const metrics = useMetrics("metricsWorkers", { window: "1h" });
  const step = metrics.data?.step_seconds ?? 60;
  return {
    columns: new Map((metrics.data?.workers ?? []).map((w) => [w.name, w.series.map((p) => perMinute(p.tasks, step, elapsedShare(p.at, step, Date.now())))])),
    step,
  };
}

export function ActivitySparkline({ values }: { values: Column | undefined }) {
  return values ? <Sparkline values={values} format={formatRate} label="Tasks per minute, last hour" /> : <span class="dim">—</span>;
}
