/**
 * Where the tasks view's tasks come from, as one interface: a listing (filters, search, sort,
 * keyset cursor, total), one task by id, and the per-state counts the overview shows. The
 * implementations:
 *   - tasks/live-source.ts: the in-memory store (what the agent holds now);
 *   - history/history-source.ts: the durable history on disk (what earlier runs and evicted tasks left);
 *   - chained-source.ts: the two as one list, the live tasks first, then the history's others;
 *   - django/results-source.ts: django-celery-results' table merged with the live store (--tasks-db).
 * Each source's cursor is its own text, opaque to the others.
 */
import type { TaskFilter, TaskSort } from "./tasks/query";
import type { TaskRecord } from "./tasks/record";

export type TaskSourceKind = "live" | "history" | "django";

export interface TaskListing {
  filter: TaskFilter;
  sort: TaskSort;
  limit: number;
  /** The cursor this source returned with the previous page; null: the first page. */
  cursor: string | null;
  /** false: the search `q` looks at ids and names only (a caller who may not see payloads must not find tasks by them). */
  searchPayloads: boolean;
}

export interface SourcePage {
  tasks: TaskRecord[];
  /** Tasks matching the filters, on every page. */
  total: number;
  /** The count stopped at `total` (a common search text over a large history): there are more. */
  totalAtLeast?: boolean;
  nextCursor: string | null;
  /** Which sources the page's tasks came from. */
  servedBy: TaskSourceKind[];
}

export interface FoundTask {
  task: TaskRecord;
  servedBy: TaskSourceKind;
  /** The source's own record of it, shown as is in the detail (django-celery-results' row). */
  database?: Record<string, unknown>;
  /** Said after the source line (e.g. the table could not be read, so the live task is shown). */
  note?: string;
}

export interface TaskSource {
  readonly kind: TaskSourceKind;
  list(q: TaskListing): Promise<SourcePage>;
  get(id: string): Promise<FoundTask | null>;
  /** Tasks per state received at or after `since`. */
  countByStateSince(since: number): Promise<Record<string, number>>;
}

/** A cursor this source did not issue. */
export class BadCursor extends Error {}
