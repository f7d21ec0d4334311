/**
 * Which queue a task came from, where events do not say (Celery's task events carry no queue): a
 * worker that consumes only one queue gives it to its tasks, and a message a worker holds names its
 * routing key. What each worker consumes comes from its `active_queues` reply; a worker whose queues
 * are not known yet is asked once (a read-only inspect, which it may also be asked by the workers
 * and queues views), if it can answer.
 */
import type { TaskStore } from "../sources/tasks/store";
import type { WorkerRegistry } from "../sources/workers/registry";
import type { Inspector } from "../sources/workers/inspector";
import type { QueueDeclaration } from "../sources/queues";
import { consumedQueues, deliveries, onlyQueue, queueOfDelivery } from "../sources/tasks/queue-inference";

/** A worker whose queues are unknown is asked for them at most this often. */
const QUEUES_ASK_EVERY_MS = 15_000;

export class WorkerQueues {
  /** What each worker said it consumes (its latest active_queues). */
  private readonly consumed = new Map<string, QueueDeclaration[]>();
  private readonly askedAt = new Map<string, number>();

  constructor(
    private readonly tasks: TaskStore,
    private readonly workers: WorkerRegistry,
    private readonly inspector: Inspector,
  ) {
    tasks.workerQueue = (worker) => onlyQueue(this.consumed.get(worker) ?? []);
  }

  /** A task event from `worker`: ask for its queues if they are not known. */
  heardFrom(worker: string): void {
    if (this.consumed.has(worker)) return;
    const now = Date.now();
    // (A worker busy for good sends no events either: asking who is responsive stays rare.)
    if (now - (this.askedAt.get(worker) ?? 0) < QUEUES_ASK_EVERY_MS || !this.workers.responsive().has(worker)) return;
    this.askedAt.set(worker, now);
    void this.inspector.read("active_queues", { destination: [worker] }).catch(() => undefined);
  }

  /** A worker's active_queues reply. */
  activeQueues(worker: string, reply: unknown): void {
    const queues = consumedQueues(reply);
    const before = onlyQueue(this.consumed.get(worker) ?? []);
    const known = this.consumed.has(worker);
    this.consumed.set(worker, queues);
    const only = onlyQueue(queues);
    // The tasks held without a queue get it once, when the worker's one queue is first known.
    if (only !== null && (!known || only !== before)) this.tasks.inferWorkerQueue(worker, only);
  }

  /** A worker's active / reserved / scheduled reply: the messages it holds name their routing key, the queue where that names one. */
  heldTasks(worker: string, reply: unknown): void {
    const consumed = this.consumed.get(worker) ?? [];
    for (const d of deliveries(reply)) {
      const queue = queueOfDelivery(d.exchange, d.routingKey, consumed);
      if (queue !== null) this.tasks.inferQueue(d.id, queue, "delivery_info");
    }
  }
}
