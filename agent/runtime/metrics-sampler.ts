/**
 * Samples every queue's depth (per priority), unacknowledged messages, consumers and oldest message
 * age into the metrics every SAMPLE_MS: one read of the broker per sample, whoever reads the figures
 * (the API, /metrics), and no remote control at all. The queues are the ones the broker's bindings
 * name (cached, shared with the other readers), those the workers' held `active_queues` replies name,
 * and those tasks went to. Consumers: the broker's count where it tells one (RabbitMQ), else the
 * online workers whose held `active_queues` has the queue.
 *
 * Oldest message (Redis only: RabbitMQ cannot show a message without taking it): the next message of
 * each non-empty priority list is read in place (LRANGE of one element, at most MAX_HEAD_READS per
 * sample); its age runs from its task-sent time when the agent saw one, else from when the agent
 * first saw it at the head (a lower bound: a message older than the agent's first read shows less).
 */
import type { BrokerTransport, ExchangeBinding, ListRead } from "../protocol/transport";
import { readTaskMessage } from "../protocol/task-message";
import type { Cached } from "../sources/cache";
import type { MetricsStore } from "../sources/metrics/store";
import type { QueueSample } from "../sources/metrics/samples";
import { isPlumbing, readQueueDeclaration } from "../sources/queues";
import type { TaskStore } from "../sources/tasks/store";
import type { Inspector } from "../sources/workers/inspector";
import type { WorkerRegistry } from "../sources/workers/registry";

export const SAMPLE_MS = 5000;
const MAX_QUEUES = 2000;
const MAX_HEAD_READS = 200;

export interface SamplerDeps {
  broker: BrokerTransport;
  tasks: TaskStore;
  workers: WorkerRegistry;
  inspector: Inspector;
  brokerBindings: Cached<ExchangeBinding[]>;
  metrics: MetricsStore;
}

export class MetricsSampler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Message id at the head of a list -> when the agent first saw it there. */
  private headSeen = new Map<string, number>();
  lastSampleAt: number | null = null;
  lastError: string | null = null;

  constructor(private readonly d: SamplerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sample (skipped while the broker is down or the previous one still runs). */
  async sample(): Promise<void> {
    const { broker, metrics } = this.d;
    if (this.running || !broker.queues || broker.status().state !== "connected") return;
    this.running = true;
    try {
      const names = await this.queueNames();
      const [depths, unacked] = await Promise.all([broker.queues.queueDepths(names), broker.queues.unackedReader?.unacked().catch(() => null) ?? null]);
      const at = Date.now();
      const consumersByQueue = this.consumersFromWorkers();
      const ages = await this.oldestAges(names, depths, at);
      for (const name of names) {
        const d = depths.get(name);
        if (d?.exists === false) continue;
        const sample: QueueSample = {
          at,
          messages: d?.messages ?? null,
          byPriority: d?.byPriority ?? [],
          unacked: d?.unacknowledged ?? (unacked?.complete ? (unacked.byRoutingKey.get(name) ?? 0) : null),
          consumers: d?.consumers ?? consumersByQueue.get(name) ?? 0,
          oldestAge: ages.get(name) ?? null,
        };
        metrics.queueSamples.add(name, sample);
      }
      metrics.queueSamples.retain(new Set(names));
      this.lastSampleAt = at;
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
    } finally {
      this.running = false;
    }
  }

  private async queueNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const b of await this.d.brokerBindings.get().catch(() => [])) if (!isPlumbing(b.exchange, b.queue)) names.add(b.queue);
    for (const [queue] of this.heldActiveQueues()) names.add(queue);
    for (const queue of this.d.tasks.facet("queue").keys()) names.add(queue);
    return [...names].sort().slice(0, MAX_QUEUES);
  }

  /** (queue, worker) pairs from the workers' held active_queues replies (no new broadcast). */
  private *heldActiveQueues(): Generator<[string, string]> {
    for (const w of this.d.workers.all()) {
      const reply = this.d.inspector.latest("active_queues", w.name)?.value;
      if (!Array.isArray(reply)) continue;
      for (const q of reply) {
        const decl = readQueueDeclaration(q);
        if (decl) yield [decl.name, w.name];
      }
    }
  }

  private consumersFromWorkers(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [queue, worker] of this.heldActiveQueues()) {
      const w = this.d.workers.get(worker);
      if (w && this.d.workers.liveness(w).status === "online") out.set(queue, (out.get(queue) ?? 0) + 1);
    }
    return out;
  }

  /** Seconds the next message of each non-empty queue has waited, where it can be read. */
  private async oldestAges(
    names: string[],
    depths: Map<string, { byPriority: { priority: number; messages: number }[] }>,
    now: number,
  ): Promise<Map<string, number>> {
    const peek = this.d.broker.queues?.messagePeek;
    const ages = new Map<string, number>();
    if (!peek) return ages;
    const reads: ListRead[] = [];
    for (const name of names) {
      for (const p of depths.get(name)?.byPriority ?? [])
        if (p.messages > 0 && reads.length < MAX_HEAD_READS) reads.push({ queue: name, step: p.priority, count: 1 });
    }
    const heads = reads.length ? await peek.peekLists(reads) : [];
    const seen = new Map<string, number>();
    reads.forEach((r, i) => {
      const env = heads[i]?.[0];
      const msg = env ? readTaskMessage(env) : null;
      if (!msg) return;
      const firstSeen = this.headSeen.get(msg.id) ?? now;
      seen.set(msg.id, firstSeen);
      const since = this.d.tasks.get(msg.id)?.sent ?? firstSeen;
      const age = Math.max(0, (now - since) / 1000);
      ages.set(r.queue, Math.max(ages.get(r.queue) ?? 0, age));
    });
    this.headSeen = seen;
    return ages;
  }
}
