/** What a task listing asks for, already validated, and the text search over a task. */
import type { SortOrder, TaskSortKey, TaskState } from "../../api/schema/enums";
import type { StoredValue, TaskRecord } from "./record";

export interface TaskFilter {
  states?: TaskState[];
  name?: string;
  worker?: string;
  queue?: string;
  /** Milliseconds since the epoch, on the received time. */
  since?: number;
  until?: number;
  /** Lower-cased search text. */
  q?: string;
}

export interface TaskSort {
  by: TaskSortKey;
  order: SortOrder;
}

/** Case-insensitive substring search over id, name, args, kwargs, result and exception. */
export function matchesText(t: TaskRecord, q: string): boolean {
  if (matchesVisible(t, q)) return true;
  if (t.exception?.toLowerCase().includes(q)) return true;
  return [t.args, t.kwargs, t.result].some((v) => v !== null && valueText(v).toLowerCase().includes(q));
}

/** The search a caller who may not see payloads gets: ids and names only. */
export function matchesVisible(t: TaskRecord, q: string): boolean {
  return t.id.toLowerCase().includes(q) || (t.name?.toLowerCase().includes(q) ?? false);
}

export function valueText(v: StoredValue): string {
  return v.format === "repr" ? v.value : (JSON.stringify(v.value) ?? "null");
}
