/**
 * The families of /metrics with a series per task name or queue (thousands of lines), written
 * straight into the text format: each key's label text is escaped once and kept, so a line costs a
 * string join. (prom-client's Registry formats every value's labels anew, about 10 µs a line: half a
 * second for 1,000 names' histograms.) The agent's own families go through the Registry
 * (prometheus.ts).
 */
import { METRIC_COUNTS } from "../api/schema/enums";
import { type CumulativeHistogram, PROMETHEUS_BOUNDS } from "../sources/metrics/key-figures";
import type { MetricsStore } from "../sources/metrics/store";

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const LE = [...PROMETHEUS_BOUNDS.map((b) => String(Number(b.toPrecision(6)))), "+Inf"];

/** `key="value"` per key and label name, escaped once. */
class LabelCache {
  private readonly cache = new Map<string, string>();
  constructor(private readonly label: string) {}
  of(value: string): string {
    let s = this.cache.get(value);
    if (s === undefined) {
      s = `${this.label}="${escapeLabel(value)}"`;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(value, s);
    }
    return s;
  }
}

const nameLabels = new LabelCache("name");
const queueLabels = new LabelCache("queue");

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function histogram(out: string[], metric: string, labels: string, h: CumulativeHistogram): void {
  let cumulative = 0;
  for (let i = 0; i < LE.length; i++) {
    cumulative += h.buckets[i]!;
    out.push(`${metric}_bucket{${labels},le="${LE[i]}"} ${i === LE.length - 1 ? h.count : cumulative}`);
  }
  out.push(`${metric}_sum{${labels}} ${h.sum}`, `${metric}_count{${labels}} ${h.count}`);
}

/** The task and queue families, as text lines. */
export function keyedFamilies(m: MetricsStore): string[] {
  const out: string[] = [];
  const counters = (metric: string, help: string, set: MetricsStore["names"], labels: LabelCache) => {
    header(out, metric, "counter", help);
    for (const [key, f] of set.byKey) {
      const l = labels.of(key);
      for (let i = 0; i < METRIC_COUNTS.length; i++) if (f.totals[i]) out.push(`${metric}{${l},state="${METRIC_COUNTS[i]}"} ${f.totals[i]}`);
    }
  };
  counters("celery_tasks_total", "Tasks per name reaching each state since the agent started (a state counts once per task and run).", m.names, nameLabels);
  counters("celery_queue_tasks_total", "Tasks per queue reaching each state since the agent started.", m.queues, queueLabels);
  for (const [metric, kind, help] of [
    ["celery_task_runtime_seconds", "runtime", "Task runtime (task-started to finished) per name."],
    ["celery_task_queue_wait_seconds", "wait", "Time from task-sent (else received by a worker) to task-started, per name."],
  ] as const) {
    header(out, metric, "histogram", help);
    for (const [name, f] of m.names.byKey) if (f[kind].total.count) histogram(out, metric, nameLabels.of(name), f[kind].total);
  }
  header(out, "celery_queue_messages", "gauge", "Messages ready in the queue, per priority where the broker keeps them apart (last sample, every 5 s).");
  for (const [queue, s] of m.queueSamples.current) {
    const l = queueLabels.of(queue);
    if (s.byPriority.length) for (const p of s.byPriority) out.push(`celery_queue_messages{${l},priority="${p.priority}"} ${p.messages}`);
    else if (s.messages !== null) out.push(`celery_queue_messages{${l},priority=""} ${s.messages}`);
  }
  const gauge = (
    metric: string,
    help: string,
    pick: (s: MetricsStore["queueSamples"]["current"] extends Map<string, infer S> ? S : never) => number | null,
  ) => {
    header(out, metric, "gauge", help);
    for (const [queue, s] of m.queueSamples.current) {
      const v = pick(s);
      if (v !== null) out.push(`${metric}{${queueLabels.of(queue)}} ${v}`);
    }
  };
  gauge("celery_queue_messages_unacked", "Messages delivered to a worker and not acknowledged yet.", (s) => s.unacked);
  gauge("celery_queue_consumers", "Consumers of the queue (the broker's count, else online workers consuming it).", (s) => s.consumers);
  gauge("celery_queue_oldest_message_age_seconds", "Age of the next message to be delivered (Redis only).", (s) => s.oldestAge);
  return out;
}
