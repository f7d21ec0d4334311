/**
 * The `events` Server-Sent Events stream: worker and task changes as they happen, batched per
 * quarter second (the latest state of each task or worker only), so a burst never floods a client;
 * and the whole list of findings whenever it changes (recomputed within a second of a change).
 *
 * One batcher per agent collects the changes and turns each quarter second's into SSE text once
 * per kind of access (payloads shown or hidden), shared by every open stream: under a thousand
 * tasks a second, five streams cost one serialization, and each stream one write per batch.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Agent } from "../runtime/agent";
import { stateKey } from "../runtime/per-agent-state";
import { hideRowPayloads, taskRow } from "../handlers/present/tasks";
import { payloadHidden, type Access } from "../handlers/access";
import type { TaskRecord } from "../sources/tasks/record";
import { summaryOf } from "../handlers/workers";
import { health } from "../handlers/health";
import { findingList } from "../handlers/findings";
import type { FindingsState } from "../runtime/diagnostics";

const FLUSH_MS = 250;
const KEEPALIVE_MS = 15_000;
/** Distinct tasks kept per batch; beyond, a burst's later tasks wait for the next views' refetch. */
const MAX_PENDING = 5000;
/** Batches a slow client may fall behind by (10 s) before its stream is closed: it reconnects and refetches. */
const MAX_QUEUED = 40;

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** One open stream: what it may see, and the batches not yet written to it. */
interface Subscriber {
  access: Access;
  queue: string[];
  wake: (() => void) | null;
  overflowed: boolean;
}

class ChangeBatcher {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly workers = new Set<string>();
  private healthChanged = false;
  /** The findings, when they changed since the last batch. */
  private findings: FindingsState | null = null;
  private offFindings: (() => void) | null = null;
  private readonly subscribers = new Set<Subscriber>();
  private off: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly agent: Agent) {}

  subscribe(sub: Subscriber): () => void {
    this.subscribers.add(sub);
    // A stream that opens gets the findings as they are in the next batch (the others get them again: one list).
    this.findings ??= this.agent.diagnostics.last;
    if (!this.off) {
      this.off = this.agent.onChange((ch) => {
        if (ch.kind === "task") {
          if (this.tasks.size < MAX_PENDING || this.tasks.has(ch.task.id)) this.tasks.set(ch.task.id, ch.task);
        } else if (ch.kind === "worker") this.workers.add(ch.name);
        else this.healthChanged = true;
      });
      this.offFindings = this.agent.diagnostics.onChange((f) => (this.findings = f));
      this.timer = setInterval(() => this.flush(), FLUSH_MS);
    }
    return () => {
      this.subscribers.delete(sub);
      if (this.subscribers.size) return;
      // Nobody listens: stop collecting.
      this.off?.();
      this.off = null;
      this.offFindings?.();
      this.offFindings = null;
      this.findings = null;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.tasks.clear();
      this.workers.clear();
    };
  }

  private flush(): void {
    if (!this.tasks.size && !this.workers.size && !this.healthChanged && !this.findings) return;
    let workerText = "";
    for (const name of this.workers) {
      const w = summaryOf(this.agent, name);
      if (w) workerText += sse("worker", w);
    }
    const built = new Map<string, string>();
    for (const sub of this.subscribers) {
      const hidden = payloadHidden(sub.access);
      // Health names the caller's own access, so it is per kind of access, like the payloads.
      const key = `${sub.access.token}|${sub.access.redacted}|${sub.access.scopes.join(",")}`;
      let text = built.get(key);
      if (text === undefined) {
        text = this.healthChanged ? sse("health", health(this.agent, sub.access)) : "";
        text += workerText;
        for (const t of this.tasks.values()) text += sse("task", hidden ? hideRowPayloads(taskRow(t), hidden) : taskRow(t));
        const f = this.findings;
        if (f) text += sse("findings", findingList(f.findings, f.failed, f.computedAt, sub.access));
        built.set(key, text);
      }
      if (sub.queue.length >= MAX_QUEUED) sub.overflowed = true;
      else sub.queue.push(text);
      sub.wake?.();
    }
    this.tasks.clear();
    this.workers.clear();
    this.healthChanged = false;
    this.findings = null;
  }
}

/** The agent's one batcher, shared by every stream open on it. */
const batcherKey = stateKey("the event stream's change batcher", (agent: Agent) => new ChangeBatcher(agent));

export function eventStream(c: Context, agent: Agent, access: Access) {
  const shared = agent.state.get(batcherKey);
  return streamSSE(c, async (stream) => {
    const sub: Subscriber = { access, queue: [], wake: null, overflowed: false };
    const unsubscribe = shared.subscribe(sub);
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      sub.wake?.();
    });
    try {
      await stream.write(sse("health", health(agent, access)));
      while (!closed && !sub.overflowed) {
        if (!sub.queue.length) {
          // Wait for a batch, or write a keepalive comment when none comes for a while.
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), KEEPALIVE_MS);
            sub.wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          sub.wake = null;
          if (!woken) await stream.write(": keepalive\n\n");
          continue;
        }
        const text = sub.queue.join("");
        sub.queue.length = 0;
        await stream.write(text);
      }
    } finally {
      unsubscribe();
    }
  });
}
