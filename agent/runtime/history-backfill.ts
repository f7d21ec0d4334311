/**
 * The durable history's first start, from django-celery-results' table (--tasks-db): the table's
 * tasks within --retain, newest first, as many as --retain-max-rows leaves room for, in pages
 * that let the event loop go between them (ingest and requests go on meanwhile). Done once: the
 * history's meta table records it, and later starts skip it. A backfill cut short (the agent
 * stopped, the database went away) is not recorded, so the next start does it again (the tasks
 * already written are skipped).
 *
 * The result backend's backfill (backend-history.ts) reaches the history on its own.
 */
import { log } from "../base/log";
import type { DjangoTaskSource } from "../sources/django/tasks";
import { decodeCursor } from "../sources/tasks/cursor";
import type { HistoryImport } from "./durable-history";

const PAGE = 1000;

export interface TableBackfillResult {
  read: number;
  written: number;
}

/** Backfills the history from the table once; null when it was done before (or there is no room). */
export async function backfillFromDjango(
  history: HistoryImport,
  table: DjangoTaskSource,
  retainMs: number,
  stopped: () => boolean,
): Promise<TableBackfillResult | null> {
  const source = `django ${table.description}`;
  if (history.marker(source) !== null || history.room() === 0) return null;
  const since = Date.now() - retainMs;
  const done: TableBackfillResult = { read: 0, written: 0 };
  let cursor: string | null = null;
  do {
    const page = await table.list({ since }, { by: "received", order: "desc" }, PAGE, cursor === null ? null : decodeCursor(cursor), null);
    done.read += page.tasks.length;
    done.written += history.keep(page.tasks.map((t) => t.record));
    cursor = page.nextCursor;
    await new Promise((r) => setImmediate(r));
  } while (cursor && !stopped() && history.room() > 0);
  if (stopped()) return done;
  history.setMarker(source, new Date().toISOString());
  log("history.backfilled", `task history: ${done.written} tasks backfilled from ${table.description} (${done.read} read)`, { ...done });
  return done;
}
