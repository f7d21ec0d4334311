/**
 * Where one task's message waits: a bounded read of the queues' lists (LRANGE on Redis: nothing
 * taken), in the order workers serve them, looking for its id. For the "why" of an id the agent does
 * not hold; the waiting-messages reader (waiting.ts) reads far fewer, for every task at once.
 *
 * Bounded twice: in messages (per list and in all), and in time. The lists are read in batches of
 * about BATCH messages, the next batch only while the time allowed lasts: ten thousand messages are
 * megabytes to transfer, so on a busy machine fewer are read, and the answer says how many.
 */
import type { ListRead, MessagePeek, PeekMatches } from "../../protocol/transport";
import { readTaskMessage, type TaskMessage } from "../../protocol/task-message";
import type { QueueLists } from "../waiting";

/** Messages read from one list, and in all, for one id; and the time after which no batch is started (ms). */
export const LOCATE_LIMITS = { perList: 20_000, total: 50_000, ms: 120 };
/** Messages per batch of reads (a list longer than that is read in several). */
const BATCH = 2500;

export interface Located {
  found: { message: TaskMessage; queue: string; position: number; priority: number } | null;
  read: number;
  messages: number;
}

/** One read and where it starts: `ahead` messages of the queue are served before its first. */
type PlacedRead = ListRead & { ahead: number };

export async function locateMessage(peek: MessagePeek, queues: readonly QueueLists[], id: string, limits = LOCATE_LIMITS): Promise<Located> {
  const started = performance.now();
  let messages = 0;
  const batches: PlacedRead[][] = [[]];
  let inBatch = 0;
  let budget = limits.total;
  for (const q of queues) {
    let ahead = 0;
    for (const p of q.messages_by_priority) {
      messages += p.messages;
      const count = Math.min(p.messages, limits.perList, budget);
      budget -= count;
      for (let skip = 0; skip < count; ) {
        const n = Math.min(count - skip, BATCH - inBatch);
        batches[batches.length - 1]!.push({ queue: q.name, step: p.priority, skip, count: n, ahead: ahead + skip });
        skip += n;
        inBatch += n;
        if (inBatch >= BATCH) {
          batches.push([]);
          inBatch = 0;
        }
      }
      ahead += p.messages;
    }
  }
  let read = 0;
  for (const batch of batches) {
    if (!batch.length || (read > 0 && performance.now() - started > limits.ms)) break;
    const lists = await candidates(
      peek,
      batch.map(({ ahead: _, ...r }) => r),
      id,
    );
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      read += lists[i]?.read ?? 0;
      for (const { index, envelope } of lists[i]?.matches ?? []) {
        // Protocol 2 names the id in the headers: only a match (or a protocol 1 message) is read in full.
        const headerId = envelope.headers.id;
        if (typeof headerId === "string" && headerId !== id) continue;
        const msg = readTaskMessage(envelope);
        if (msg?.id === id) return { found: { message: msg, queue: r.queue, position: r.ahead + index + 1, priority: msg.priority ?? r.step }, read, messages };
      }
    }
  }
  return { found: null, read, messages };
}

/**
 * The messages of each list that may be the task's. Where the broker can search raw messages, only
 * those containing the id: Celery puts it in plain text in both protocols (protocol 2's `id` header,
 * and the `correlation_id` property it sets in protocol 1 too, whose body may be encoded).
 */
async function candidates(peek: MessagePeek, reads: ListRead[], id: string): Promise<PeekMatches[]> {
  if (peek.peekContaining) return peek.peekContaining(reads, id);
  const lists = await peek.peekLists(reads);
  return lists.map((envs) => ({ read: envs.length, matches: envs.flatMap((envelope, index) => (envelope ? [{ index, envelope }] : [])) }));
}
