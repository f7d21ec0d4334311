/**
 * `GET /metrics`: the figures the agent holds in Prometheus' text format, computed at scrape time
 * from the metrics store, the worker registry and the last queue sample: the families per task name
 * and queue written by prometheus-text.ts, the workers' and the agent's own through prom-client's
 * Registry, one collector per family. A scrape asks nothing of the broker
 * or the workers: the queues come from the sampler's last read (every 5 s), the workers' liveness
 * from their heartbeats.
 */
import { Registry } from "prom-client";
import { handlerState, type Ctx } from "./context";
import { keyedFamilies } from "./prometheus-text";

type Labels = Record<string, string | number>;
type Value = { value: number; labels: Labels; metricName?: string };
type MetricType = "counter" | "gauge";

/** A metric family whose values are computed when scraped. */
function family(registry: Registry, name: string, help: string, type: MetricType, values: () => Value[]): void {
  const get = async () => ({ name, help, type, values: values(), aggregator: "sum" as const });
  registry.registerMetric({ name, help, type, get } as unknown as Parameters<Registry["registerMetric"]>[0]);
}

const up = (state: string) => (state === "connected" ? 1 : 0);

function buildRegistry(ctx: Ctx): Registry {
  const r = new Registry();
  family(r, "celery_worker_up", "1 for a worker online, 0 for one known and offline.", "gauge", () =>
    [...ctx.workers.all()].map((w) => ({ labels: { worker: w.name }, value: ctx.workers.liveness(w).status === "online" ? 1 : 0 })),
  );
  family(r, "celery_worker_tasks_total", "Tasks each worker finished since the agent started.", "counter", () =>
    [...ctx.metrics.workers.byName].map(([worker, w]) => ({ labels: { worker }, value: w.finished })),
  );
  family(r, "celery_panel_broker_up", "1 when the agent is connected to the broker.", "gauge", () => [{ labels: {}, value: up(ctx.broker.status().state) }]);
  family(r, "celery_panel_result_backend_up", "1 when the agent is connected to the result backend (absent when it has none).", "gauge", () => {
    const s = ctx.backend?.status();
    return s ? [{ labels: {}, value: up(s.state) }] : [];
  });
  family(r, "celery_panel_events_received_total", "Celery events the agent received.", "counter", () => [{ labels: {}, value: ctx.eventsReceived }]);
  family(r, "celery_panel_events_rejected_total", "Broker messages the agent could not read, by reason.", "counter", () =>
    Object.entries(ctx.broker.events.rejected()).map(([reason, n]) => ({ labels: { reason }, value: n })),
  );
  family(r, "celery_panel_tasks_held", "Tasks held in the agent's store (bounded by --max-tasks).", "gauge", () => [{ labels: {}, value: ctx.tasks.size }]);
  family(r, "celery_panel_queue_sample_timestamp_seconds", "When the queues were last sampled (unix seconds).", "gauge", () =>
    ctx.metricsSampler.lastSampleAt === null ? [] : [{ labels: {}, value: ctx.metricsSampler.lastSampleAt / 1000 }],
  );
  return r;
}

const registryOf = handlerState("prometheus", buildRegistry);

export async function prometheusText(ctx: Ctx): Promise<{ text: string; contentType: string }> {
  const registry = ctx.state.get(registryOf);
  const keyed = keyedFamilies(ctx.metrics);
  keyed.push(await registry.metrics());
  return { text: keyed.join("\n"), contentType: registry.contentType };
}
