/**
 * django-celery-results' table as a task source (--tasks-db): the listing is the table's, in SQL;
 * each row a task the live store also holds is merged with it (runtime, queue, timeline from
 * events). On the first page of the newest-first listing, unfinished tasks the live store holds
 * and the table does not have yet (no row is written before the task starts, or ends without
 * task_track_started) come first, and count in the total.
 *
 * Errors are the table's own (DbUnavailable, UnsupportedSort, or what `table()` throws when the
 * database is not open): the handler says them.
 */
import { childIds } from "../../protocol/result-meta";
import type { FoundTask, SourcePage, TaskListing, TaskSource } from "../task-source";
import { BadCursor } from "../task-source";
import { decodeCursor, encodeCursor } from "../tasks/cursor";
import type { TaskFilter } from "../tasks/query";
import { isFinished, type TaskRecord } from "../tasks/record";
import type { TaskStore } from "../tasks/store";
import { mergeWithLive } from "./merge";
import type { DjangoTaskSource } from "./tasks";

/** Queue filter and live-only tasks look at this many live tasks at most. */
const LIVE_SCAN = 2000;

/** The id names a group (django_celery_results_groupresult), not a task. */
export class NotATask extends Error {}

export class DjangoResultsSource implements TaskSource {
  readonly kind = "django";

  constructor(
    private readonly live: TaskStore,
    /** The open table; throws when it is not open (why is the caller's to say). */
    private readonly table: () => DjangoTaskSource,
  ) {}

  async list(q: TaskListing): Promise<SourcePage> {
    const { filter, sort, limit } = q;
    const cursor = q.cursor === null ? null : decodeCursor(q.cursor);
    if (q.cursor !== null && !cursor) throw new BadCursor("not a cursor this agent issued");
    const src = this.table();
    const onQueue = filter.queue === undefined ? null : this.liveIds({ ...filter, states: undefined, q: undefined });
    let liveOnly: TaskRecord[] = [];
    if (cursor === null && sort.by === "received" && sort.order === "desc") {
      const text = filter.q;
      const findable = (t: TaskRecord) => q.searchPayloads || !text || t.id.toLowerCase().includes(text) || (t.name?.toLowerCase().includes(text) ?? false);
      const unfinished = this.live.query(filter, sort, LIVE_SCAN, null).tasks.filter((t) => !isFinished(t) && findable(t));
      const stored = await src.existing(unfinished.map((t) => t.id));
      liveOnly = unfinished.filter((t) => !stored.has(t.id));
    }
    const shown = liveOnly.slice(0, limit);
    // A page full of live tasks still hands out a cursor: the table's rows follow from the top.
    const page = await src.list(filter, sort, limit - shown.length, cursor, onQueue, { searchPayloads: q.searchPayloads });
    const rows = page.tasks.map((d) => mergeWithLive(d, this.live.get(d.record.id)));
    const nextCursor = shown.length === limit && page.total > 0 ? encodeCursor({ v: Infinity, seq: Number.MAX_SAFE_INTEGER }) : page.nextCursor;
    return { tasks: [...shown, ...rows], total: page.total + liveOnly.length, nextCursor, servedBy: ["django"] };
  }

  /** Ids of the live tasks matching `filter` (the table has no queue column: queues are known live). */
  private liveIds(filter: TaskFilter): string[] {
    return this.live.query(filter, { by: "received", order: "desc" }, LIVE_SCAN, null).tasks.map((t) => t.id);
  }

  /** The row merged with the live store; the live task alone (with a note) when the table cannot be read. */
  async get(id: string): Promise<FoundTask | null> {
    const live = this.live.get(id);
    let row: Awaited<ReturnType<DjangoTaskSource["get"]>>;
    try {
      row = await this.table().get(id);
    } catch (e) {
      if (live) return { task: live, servedBy: "live", note: `database unavailable: ${(e as Error).message}` };
      throw e;
    }
    if (!row && live) return { task: live, servedBy: "live" };
    if (!row) {
      const group = await this.table()
        .group(id)
        .catch(() => null);
      if (group) {
        const members = childIds([group.result]).filter((x) => x !== id);
        throw new NotATask(
          `"${id}" is a group, not a task (django_celery_results_groupresult, saved ${group.date_done ?? "?"}): its tasks are ${members.join(", ") || "unknown"}`,
        );
      }
      return null;
    }
    return { task: mergeWithLive(row, live), servedBy: "django", database: row.extras as unknown as Record<string, unknown> };
  }

  async countByStateSince(since: number): Promise<Record<string, number>> {
    return this.live.countByStateSince(since);
  }
}
