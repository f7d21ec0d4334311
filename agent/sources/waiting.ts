/**
 * Messages waiting in the broker's queues, listed as tasks. The next messages of each queue's
 * priority lists are read (LRANGE, which takes nothing: read-only toward Celery), bounded per list and
 * in total, decoded with the envelope codec, and put in the task store as PENDING with `waiting`.
 * A task a later read no longer finds has left its queue and stops waiting, so no row stays
 * "waiting" for longer than one read. One read serves every request for FRESH_MS.
 */
import type { ListRead, MessagePeek } from "../protocol/transport";
import { readTaskMessage } from "../protocol/task-message";
import type { TaskStore } from "./tasks/store";

/** A queue and the length of each of its priority lists, in the order workers serve them. */
export interface QueueLists {
  name: string;
  messages_by_priority: { priority: number; messages: number }[];
}

export interface WaitingLimits {
  /** Messages read from the head of one list. */
  perList: number;
  /** Messages read in all. */
  total: number;
  /** How long one read is reused, in ms. */
  freshMs: number;
}

/**
 * Each read decodes its messages and moves every one whose place changed (all of them, in a queue
 * that drains): 100 in all keeps a read to a few milliseconds of the event loop under a backlog.
 */
export const defaultWaitingLimits: WaitingLimits = { perList: 50, total: 100, freshMs: 1500 };

interface PlannedRead extends ListRead {
  /** Messages ahead of this list's first in its queue (the lists served before it). */
  ahead: number;
}

/**
 * How many of each list to read: every non-empty list gets an equal share of what is left of the
 * total (lists wanting less than their share leave the rest to the others), at most `perList`.
 */
export function planReads(queues: readonly QueueLists[], limits: Pick<WaitingLimits, "perList" | "total">): { reads: PlannedRead[]; messages: number } {
  const lists: (PlannedRead & { want: number })[] = [];
  let messages = 0;
  for (const q of queues) {
    let ahead = 0;
    for (const p of q.messages_by_priority) {
      if (p.messages > 0) lists.push({ queue: q.name, step: p.priority, count: 0, ahead, want: Math.min(p.messages, limits.perList) });
      ahead += p.messages;
      messages += p.messages;
    }
  }
  let left = limits.total;
  const bySmallest = [...lists].sort((a, b) => a.want - b.want);
  bySmallest.forEach((l, i) => {
    l.count = Math.min(l.want, Math.floor(left / (bySmallest.length - i)));
    left -= l.count;
  });
  return { reads: lists.filter((l) => l.count > 0).map(({ want: _, ...r }) => r), messages };
}

/** How a read of the waiting messages went. */
export interface WaitingReadSummary {
  /** Messages read, and waiting in all (`truncated`: fewer read than wait). */
  read: number;
  messages: number;
  truncated: boolean;
  /** Messages read that are no task message. */
  rejected: number;
  /** When the read was made (ms), or null: never. */
  readAt: number | null;
  /** Why the broker could not be read, if it could not (the last read's messages stay). */
  error: string | null;
}

export class WaitingMessages {
  /** Ids waiting as of the last read, per queue, next first. */
  private byQueue = new Map<string, string[]>();
  private summary: WaitingReadSummary = { read: 0, messages: 0, truncated: false, rejected: 0, readAt: null, error: null };
  private readAt = 0;
  private inflight: Promise<WaitingReadSummary> | null = null;

  constructor(
    /** null: the broker cannot read its messages in place (then nothing is read, and the read says why). */
    private readonly broker: MessagePeek | null,
    private readonly store: TaskStore,
    private readonly limits: WaitingLimits = defaultWaitingLimits,
  ) {}

  /** How the last read went. */
  last(): WaitingReadSummary {
    return this.summary;
  }

  /** Ids of the tasks waiting in `queue` as last read, next first. */
  inQueue(queue: string): readonly string[] {
    return this.byQueue.get(queue) ?? [];
  }

  /**
   * Reads the queues again, unless the last read is fresh or one is under way. `queues` lists the
   * queues with their lists' lengths (asked for only when a read happens).
   */
  refresh(queues: () => Promise<readonly QueueLists[]>, now = Date.now()): Promise<WaitingReadSummary> {
    if (this.inflight) return this.inflight;
    if (this.readAt && now - this.readAt < this.limits.freshMs) return Promise.resolve(this.summary);
    this.inflight = this.read(queues).finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async read(queues: () => Promise<readonly QueueLists[]>): Promise<WaitingReadSummary> {
    const seenAt = Date.now();
    try {
      if (!this.broker) throw new Error("this broker cannot read waiting messages without taking them");
      const { reads, messages } = planReads(await queues(), this.limits);
      const envelopes = await this.broker.peekLists(reads);
      const byQueue = new Map<string, string[]>();
      const seen = new Set<string>();
      let read = 0;
      let rejected = 0;
      reads.forEach((r, i) => {
        const ids = byQueue.get(r.queue) ?? [];
        byQueue.set(r.queue, ids);
        envelopes[i]!.forEach((env, j) => {
          read++;
          const msg = env && readTaskMessage(env);
          if (!msg) {
            rejected++;
            return;
          }
          // The same id twice (sent again while still queued): the one delivered first is where it waits.
          if (seen.has(msg.id)) return;
          seen.add(msg.id);
          ids.push(msg.id);
          this.store.applyWaiting(msg, { queue: r.queue, position: r.ahead + j + 1, priority: msg.priority ?? r.step, seenAt });
        });
      });
      for (const ids of this.byQueue.values()) for (const id of ids) if (!seen.has(id)) this.store.leftQueue(id);
      this.byQueue = byQueue;
      const planned = reads.reduce((n, r) => n + r.count, 0);
      this.summary = { read, messages, truncated: planned < messages, rejected, readAt: seenAt, error: null };
    } catch (e) {
      // Nothing is known to have left: the last read stays, said to be from then.
      this.summary = { ...this.summary, error: (e as Error).message };
    }
    this.readAt = Date.now();
    return this.summary;
  }
}
