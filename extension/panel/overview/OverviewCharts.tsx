/** The overview's figures over time: tasks through the last hour, and each queue's depth as a sparkline. */
import { Sparkline } from "../../components/charts/Sparkline";
import type { Column } from "../../shared/chart-data";
import { formatCount } from "../../shared/format";
import { ResourceView } from "../ResourceView";
import { ThroughputChart } from "../metrics/charts";
import { useMetrics } from "../metrics/use-metrics";

export function OverviewThroughput() {
  const metrics = useMetrics("metricsTasks", { window: "1h" });
  return (
    <section class="overview-chart" data-section="throughput">
      <h2>Tasks per minute, last hour</h2>
      <ResourceView resource={metrics} what="task figures">
        {(data) => <ThroughputChart data={data} label="Tasks per minute" />}
      </ResourceView>
    </section>
  );
}

/** Each queue's depth over the last hour, by name (absent: not sampled yet). */
export function useQueueDepths(): Map<string, Column> {
  const metrics = useMetrics("metricsQueues", { window: "1h" });
  return new Map((metrics.data?.queues ?? []).map((q) => [q.name, q.series.map((p) => p.messages)]));
}

export function DepthSparkline({ depths }: { depths: Column | undefined }) {
  return depths ? <Sparkline values={depths} format={(n) => `${formatCount(n)} messages`} label="Depth, last hour" /> : <span class="dim">—</span>;
}
