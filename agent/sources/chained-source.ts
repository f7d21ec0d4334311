/**
 * The live store and the durable history as one list with one cursor. Newest first, the live
 * store's tasks come first, then the history's tasks the store does not hold (evicted from memory,
 * or seen by an earlier run of the agent); oldest first, the other way round. The cursor is the
 * serving source's own behind one letter naming it ("l", "h"); the letter alone starts that source.
 *
 * The total is the larger of the two: the history holds nearly everything the store does (all
 * but the last flush), so the larger one is the union's size but for those few.
 */
import type { FoundTask, SourcePage, TaskListing, TaskSource, TaskSourceKind } from "./task-source";
import { BadCursor } from "./task-source";

const TAG: Record<string, string> = { live: "l", history: "h" };

export class ChainedTaskSource implements TaskSource {
  /** The agent's own tasks (each page says which of the two served it, in `servedBy`). */
  readonly kind = "live";

  constructor(
    private readonly live: TaskSource,
    private readonly history: TaskSource,
  ) {}

  async list(q: TaskListing): Promise<SourcePage> {
    const order = q.sort.order === "desc" ? [this.live, this.history] : [this.history, this.live];
    let phase = 0;
    let cursor: string | null = null;
    if (q.cursor !== null) {
      phase = order.findIndex((s) => TAG[s.kind] === q.cursor![0]);
      if (phase < 0) throw new BadCursor("not a cursor this agent issued");
      cursor = q.cursor.slice(1) || null;
    }
    const totals = new Map<TaskSource, number>();
    // A source that stopped counting (a common search text) makes the whole a lower bound.
    let atLeast = false;
    const counted = (source: TaskSource, page: SourcePage) => {
      totals.set(source, page.total);
      atLeast ||= page.totalAtLeast === true;
      return page.total;
    };
    const tasks: SourcePage["tasks"] = [];
    const servedBy = new Set<TaskSourceKind>();
    let nextCursor: string | null = null;
    for (; phase < order.length; phase++, cursor = null) {
      const source = order[phase]!;
      const page = await source.list({ ...q, cursor, limit: q.limit - tasks.length });
      counted(source, page);
      tasks.push(...page.tasks);
      for (const s of page.servedBy) servedBy.add(s);
      if (page.nextCursor) {
        nextCursor = TAG[source.kind] + page.nextCursor;
        break;
      }
      if (tasks.length === q.limit) {
        const following = order[phase + 1];
        if (following) {
          const total = counted(following, await following.list({ ...q, cursor: null, limit: 0 }));
          if (total > 0) nextCursor = TAG[following.kind]!;
        }
        break;
      }
    }
    for (const source of order) if (!totals.has(source)) counted(source, await source.list({ ...q, cursor: null, limit: 0 }));
    return { tasks, total: Math.max(...totals.values()), ...(atLeast ? { totalAtLeast: true } : {}), nextCursor, servedBy: [...servedBy] };
  }

  async get(id: string): Promise<FoundTask | null> {
    return (await this.live.get(id)) ?? (await this.history.get(id));
  }

  /** Each state's count from whichever knows more (after a restart, the history; later, about the same). */
  async countByStateSince(since: number): Promise<Record<string, number>> {
    const [a, b] = await Promise.all([this.live.countByStateSince(since), this.history.countByStateSince(since)]);
    const out: Record<string, number> = { ...a };
    for (const [state, n] of Object.entries(b)) out[state] = Math.max(out[state] ?? 0, n);
    return out;
  }
}
