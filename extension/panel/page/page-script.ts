/**
 * page.js (entry.ts: the id scan and PageTasks) is a bundle of its own, loaded by panel.html before
 * panel.js, so the panel's bundle stays within its budget; the web panel's page goes without it. Type
 * imports only here: the panel's bundle carries none of that code.
 */
import type { PageTasks } from "./page-tasks";

export const PAGE_TASKS_GLOBAL = "celeryPanelPageTasks";

export type PageTasksClass = typeof PageTasks;

/** The PageTasks class page.js defined, or null (the web panel, or page.js missing). */
export function pageTasksClass(): PageTasksClass | null {
  return ((globalThis as Record<string, unknown>)[PAGE_TASKS_GLOBAL] as PageTasksClass | undefined) ?? null;
}
