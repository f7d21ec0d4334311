/**
 * Where one task's message waits: a bounded read of the queues' lists (LRANGE on Redis: nothing
 * taken), in the order workers serve them, looking for its id. For the "why" of an id the agent does
 * not hold; the waiting-messages reader (waiting.ts) reads far fewer, for every task at once.
 */
import type { MessagePeek } from "../../protocol/transport";
import { readTaskMessage, type TaskMessage } from "../../protocol/task-message";
import type { QueueLists } from "../waiting";

/** Messages read from one list, and in all, for one id. */
export const LOCATE_LIMITS = { perList: 20_000, total: 50_000 };

export interface Located {
  found: { message: TaskMessage; queue: string; position: number; priority: number } | null;
  read: number;
  messages: number;
}

export async function locateMessage(peek: MessagePeek, queues: readonly QueueLists[], id: string, limits = LOCATE_LIMITS): Promise<Located> {
  let read = 0;
  let messages = 0;
  const reads: { queue: string; step: number; count: number; ahead: number }[] = [];
  let budget = limits.total;
  for (const q of queues) {
    let ahead = 0;
    for (const p of q.messages_by_priority) {
      messages += p.messages;
      const count = Math.min(p.messages, limits.perList, budget);
      if (count > 0) reads.push({ queue: q.name, step: p.priority, count, ahead });
      budget -= count;
      ahead += p.messages;
    }
  }
  const lists = await peek.peekLists(reads.map(({ ahead: _, ...r }) => r));
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    const envs = lists[i] ?? [];
    read += envs.length;
    for (let j = 0; j < envs.length; j++) {
      const env = envs[j];
      // Protocol 2 names the id in the headers: only a match (or a protocol 1 message) is read in full.
      const headerId = env?.headers.id;
      if (!env || (typeof headerId === "string" && headerId !== id)) continue;
      const msg = readTaskMessage(env);
      if (msg?.id === id) return { found: { message: msg, queue: r.queue, position: r.ahead + j + 1, priority: msg.priority ?? r.step }, read, messages };
    }
  }
  return { found: null, read, messages };
}
