/**
 * `GET /metrics`: the figures the agent holds in Prometheus' text format, through prom-client's
 * Registry with one collector per metric family, each computing its values at scrape time from the
 * metrics store, the worker registry and the last queue sample. A scrape asks nothing of the broker
 * or the workers: the queues come from the sampler's last read (every 5 s), the workers' liveness
 * from their heartbeats.
 */
import { Registry } from "prom-client";
import { METRIC_COUNTS } from "../api/schema/enums";
import { type CumulativeHistogram, PROMETHEUS_BOUNDS } from "../sources/metrics/key-figures";
import { handlerState, type Ctx } from "./context";

type Labels = Record<string, string | number>;
type Value = { value: number; labels: Labels; metricName?: string };
type MetricType = "counter" | "gauge" | "histogram";

/** A metric family whose values are computed when scraped. */
function family(registry: Registry, name: string, help: string, type: MetricType, values: () => Value[]): void {
  const get = async () => ({ name, help, type, values: values(), aggregator: "sum" as const });
  registry.registerMetric({ name, help, type, get } as unknown as Parameters<Registry["registerMetric"]>[0]);
}

/** A cumulative histogram's lines: one per `le` bound, +Inf, sum and count. */
function histogramValues(out: Value[], name: string, labels: Labels, h: CumulativeHistogram): void {
  if (h.count === 0) return;
  let cumulative = 0;
  PROMETHEUS_BOUNDS.forEach((le, i) => {
    cumulative += h.buckets[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: Number(le.toPrecision(6)) }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
}

const up = (state: string) => (state === "connected" ? 1 : 0);

function buildRegistry(ctx: Ctx): Registry {
  const r = new Registry();
  const m = ctx.metrics;
  family(r, "celery_tasks_total", "Tasks per name reaching each state since the agent started (a state counts once per task and run).", "counter", () => {
    const out: Value[] = [];
    for (const [name, f] of m.names.byKey)
      METRIC_COUNTS.forEach((state, i) => {
        if (f.totals[i]) out.push({ labels: { name, state }, value: f.totals[i]! });
      });
    return out;
  });
  family(r, "celery_queue_tasks_total", "Tasks per queue reaching each state since the agent started.", "counter", () => {
    const out: Value[] = [];
    for (const [queue, f] of m.queues.byKey)
      METRIC_COUNTS.forEach((state, i) => {
        if (f.totals[i]) out.push({ labels: { queue, state }, value: f.totals[i]! });
      });
    return out;
  });
  for (const [metric, kind, help] of [
    ["celery_task_runtime_seconds", "runtime", "Task runtime (task-started to finished) per name."],
    ["celery_task_queue_wait_seconds", "wait", "Time from task-sent (else received by a worker) to task-started, per name."],
  ] as const) {
    family(r, metric, help, "histogram", () => {
      const out: Value[] = [];
      for (const [name, f] of m.names.byKey) histogramValues(out, metric, { name }, f[kind].total);
      return out;
    });
  }
  const queueGauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<typeof m.queueSamples.current.get>>) => number | null) =>
    family(r, name, help, "gauge", () => {
      const out: Value[] = [];
      for (const [queue, s] of m.queueSamples.current) {
        const v = pick(s);
        if (v !== null) out.push({ labels: { queue }, value: v });
      }
      return out;
    });
  family(r, "celery_queue_messages", "Messages ready in the queue, per priority where the broker keeps them apart (last sample, every 5 s).", "gauge", () => {
    const out: Value[] = [];
    for (const [queue, s] of m.queueSamples.current) {
      if (s.byPriority.length) for (const p of s.byPriority) out.push({ labels: { queue, priority: p.priority }, value: p.messages });
      else if (s.messages !== null) out.push({ labels: { queue, priority: "" }, value: s.messages });
    }
    return out;
  });
  queueGauge("celery_queue_messages_unacked", "Messages delivered to a worker and not acknowledged yet.", (s) => s.unacked);
  queueGauge("celery_queue_consumers", "Consumers of the queue (the broker's count, else online workers consuming it).", (s) => s.consumers);
  queueGauge("celery_queue_oldest_message_age_seconds", "Age of the next message to be delivered (Redis only).", (s) => s.oldestAge);
  family(r, "celery_worker_up", "1 for a worker online, 0 for one known and offline.", "gauge", () =>
    [...ctx.workers.all()].map((w) => ({ labels: { worker: w.name }, value: ctx.workers.liveness(w).status === "online" ? 1 : 0 })),
  );
  family(r, "celery_worker_tasks_total", "Tasks each worker finished since the agent started.", "counter", () =>
    [...m.workers.byName].map(([worker, w]) => ({ labels: { worker }, value: w.finished })),
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
  return { text: await registry.metrics(), contentType: registry.contentType };
}
