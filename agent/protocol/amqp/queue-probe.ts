/**
 * Queue depth on RabbitMQ without touching a queue: a passive `queue.declare` answers with the
 * ready messages (unacknowledged ones are not counted) and the consumers. A queue that does not
 * exist closes the probing channel with 404, another connection's exclusive queue with 405: the
 * channel is replaced and the queue reported absent; the connection and every other probe go on.
 * A few channels probe in parallel, each one queue at a time (a close fails everything pipelined
 * behind it on the same channel).
 *
 * AMQP cannot list queues nor bindings: with a management API given (--broker-api), its answers
 * are preferred; without, or while it fails (said by fallback()), bindings are unknown ([]) and
 * depths come from the probes: a failing API costs the view its unnamed queues, not its figures.
 */
import type { Channel } from "amqplib";
import { BrokerUnavailable, type ExchangeBinding, type QueueDepth, type QueueInventory } from "../transport";
import { closeCode, errorText, type AmqpConnection } from "./connection";

/** What the agent needs of RabbitMQ's management HTTP API (management.ts implements it). */
export interface ManagementSource {
  bindings(): Promise<ExchangeBinding[]>;
  queueDepths?(names: string[]): Promise<Map<string, QueueDepth>>;
}

export interface QueueProbe {
  queue: string;
  exists: boolean;
  /** Ready messages (0 when absent). */
  messages: number;
  consumers: number;
}

/** Probing channels in parallel: enough to hide round trips, few enough to be nothing to the broker. */
const PARALLEL = 4;

export class AmqpQueueInventory implements QueueInventory {
  readonly messagePeek = null;
  readonly unackedReader = null;
  /** Idle probing channels, reused across calls; a closed one (the broker's close, a lost connection) leaves the list. */
  private idle: Channel[] = [];

  constructor(
    private readonly connection: AmqpConnection,
    private readonly management: ManagementSource | null,
  ) {}

  /** The management API's last failure (cleared by its next answer): the listing fell back to the probes. */
  private managementFailure: string | null = null;

  fallback(): string | null {
    return this.managementFailure;
  }

  async bindings(): Promise<ExchangeBinding[]> {
    if (!this.management) return [];
    const listed = await this.fromManagement(() => this.management!.bindings());
    return listed ?? [];
  }

  async queueDepths(queues: string[]): Promise<Map<string, QueueDepth>> {
    const management = this.management;
    if (management?.queueDepths) {
      const listed = await this.fromManagement(() => management.queueDepths!(queues));
      if (listed) return listed;
    }
    const probes = await this.probe(queues);
    const out = new Map<string, QueueDepth>();
    for (const p of probes) {
      out.set(p.queue, { messages: p.messages, byPriority: [], consumers: p.consumers, exists: p.exists });
    }
    return out;
  }

  /** The management API's answer, or null when it failed (remembered, so the view can say why it shows less). */
  private async fromManagement<T>(ask: () => Promise<T>): Promise<T | null> {
    try {
      const answer = await ask();
      this.managementFailure = null;
      return answer;
    } catch (e) {
      this.managementFailure = e instanceof Error ? e.message : String(e);
      return null;
    }
  }

  /** Passive declares of `queues` (duplicates probed once), in their order. */
  async probe(queues: string[]): Promise<QueueProbe[]> {
    const names = [...new Set(queues)];
    const results = new Map<string, QueueProbe>();
    let next = 0;
    const worker = async () => {
      let ch: Channel | null = null;
      try {
        while (next < names.length) {
          const queue = names[next++]!;
          ch ??= await this.take();
          try {
            const r = await ch.checkQueue(queue);
            results.set(queue, { queue, exists: true, messages: r.messageCount, consumers: r.consumerCount });
          } catch (e) {
            const code = closeCode(e);
            // 404: no such queue; 405: another connection's exclusive queue (it exists, but is not ours to see).
            if (code !== 404 && code !== 405) throw unavailable(e);
            results.set(queue, { queue, exists: code === 405, messages: 0, consumers: 0 });
            ch = null; // the broker closed it
          }
        }
      } finally {
        if (ch) this.idle.push(ch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, names.length) }, worker));
    return queues.map((q) => results.get(q)!);
  }

  private async take(): Promise<Channel> {
    const idle = this.idle.pop();
    if (idle) return idle;
    const ch = await this.connection.openChannel();
    ch.on("close", () => (this.idle = this.idle.filter((c) => c !== ch)));
    return ch;
  }
}

function unavailable(e: unknown): Error {
  return e instanceof BrokerUnavailable ? e : new BrokerUnavailable(errorText(e));
}
