/** A queue's figures over the last hour: its depth and consumers as the agent sampled them, and the rate in versus out. */
import type { QueueMetrics } from "../../../agent/api/schema";
import { TimeChart } from "../../components/charts/TimeChart";
import { formatRate, soFar, timesOf } from "../../shared/chart-data";
import { formatCount, formatDuration } from "../../shared/format";
import { ChartsSection } from "../metrics/ChartsSection";
import { useMetrics } from "../metrics/use-metrics";

const perSecondToMinute = (v: number | null) => (v === null ? null : v * 60);

function Charts({ queue, sampleEvery, step }: { queue: QueueMetrics; sampleEvery: number; step: number }) {
  const times = timesOf(queue.series);
  const rate = (values: (number | null)[]) => soFar(queue.series, values.map(perSecondToMinute), step);
  const inBasis =
    queue.rate_in_basis === "sent_events" ? "counted from task-sent events" : "told from what went out and the change of depth (task-sent events are off)";
  return (
    <div class="charts">
      <div>
        <h2>Depth and consumers</h2>
        <TimeChart
          label="Depth and consumers"
          times={times}
          series={[
            {
              label: "Messages",
              color: "accent",
              values: queue.series.map((p) => p.messages),
              format: (n) => `${formatCount(n)} msgs`,
              fill: true,
              whole: true,
            },
            { label: "Consumers", color: "violet", values: queue.series.map((p) => p.consumers), format: (n) => formatCount(n), right: true, whole: true },
          ]}
          empty={`No sample of this queue yet: the agent reads its depth every ${formatDuration(sampleEvery)}.`}
        />
      </div>
      <div>
        <h2>Rate in and out</h2>
        <TimeChart
          label="Rate in and out"
          times={times}
          series={[
            { label: "In", color: "accent", values: rate(queue.series.map((p) => p.rate_in)), format: formatRate },
            { label: "Out", color: "ok", values: rate(queue.series.map((p) => p.rate_out)), format: formatRate, dashed: true },
          ]}
          empty="No task went into or out of this queue in the last hour."
        />
        <div class="dim chart-note">In: {inBasis}. Out: received by workers.</div>
      </div>
    </div>
  );
}

export function QueueCharts({ name }: { name: string }) {
  const metrics = useMetrics("metricsQueues", { window: "1h" }, (e) => e.type === "task" && e.data.queue === name);
  return (
    <ChartsSection
      of="queue"
      what="queue figures"
      resource={metrics}
      pick={(data) => data.queues.find((q) => q.name === name)}
      none={(data) => `No figures for this queue yet: the agent samples the queues it knows every ${formatDuration(data.sample_interval_seconds)}.`}
    >
      {(queue, data) => <Charts queue={queue} sampleEvery={data.sample_interval_seconds} step={data.step_seconds} />}
    </ChartsSection>
  );
}
