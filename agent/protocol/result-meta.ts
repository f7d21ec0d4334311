/**
 * The result backend's record of a task (`celery-task-meta-<id>`), as Celery's backends store it.
 * With `result_extended` it also carries name, args, kwargs, worker, retries and queue.
 */
import { isRecord, parseJson } from "./envelope";
import { num, str } from "./events";

export interface TaskMeta {
  taskId: string;
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  /** Milliseconds since the epoch; null until the task is ready. */
  dateDone: number | null;
  name: string | null;
  args: unknown;
  kwargs: unknown;
  worker: string | null;
  retries: number | null;
  queue: string | null;
  parentId: string | null;
  rootId: string | null;
  /** When the agent saw this version (for STARTED, which carries no date). */
  seenAt: number;
}

const MAX_DEPTH = 64;

export function parseTaskMeta(raw: string, seenAt: number, fallbackId?: string): TaskMeta | null {
  const parsed = parseJson(raw, MAX_DEPTH);
  if (!parsed.ok || !isRecord(parsed.value)) return null;
  const m = parsed.value;
  const taskId = str(m.task_id) ?? fallbackId;
  const status = str(m.status);
  if (!taskId || !status) return null;
  return {
    taskId,
    status,
    result: m.result ?? null,
    traceback: str(m.traceback),
    children: Array.isArray(m.children) ? m.children : [],
    dateDone: parseCeleryDate(m.date_done),
    name: str(m.name),
    args: m.args ?? null,
    kwargs: m.kwargs ?? null,
    worker: str(m.worker),
    retries: num(m.retries),
    queue: str(m.queue),
    parentId: str(m.parent_id),
    rootId: str(m.root_id),
    seenAt,
  };
}

/** Celery writes naive UTC ISO dates ("2026-11-24T22:07:00.636993"); some backends add an offset. */
export function parseCeleryDate(v: unknown): number | null {
  if (typeof v !== "string" || !v) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(v);
  const ms = Date.parse(hasZone ? v : `${v}Z`);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Child task ids out of Celery's `children` entries: an AsyncResult is `[[id, parent], null]`, a
 * GroupResult `[[group_id, parent], [member, ...]]` whose members are the real children.
 */
export function childIds(children: unknown[], depth = 0): string[] {
  const ids: string[] = [];
  for (const c of children) {
    if (typeof c === "string") ids.push(c);
    else if (Array.isArray(c) && Array.isArray(c[0]) && typeof c[0][0] === "string") {
      ids.push(c[0][0]);
      if (Array.isArray(c[1]) && depth < 8) ids.push(...childIds(c[1], depth + 1));
    } else if (Array.isArray(c) && typeof c[0] === "string") ids.push(c[0]);
  }
  return ids;
}
