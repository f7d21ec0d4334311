/**
 * Loads page.js (entry.ts: the id scan and PageTasks, a bundle of their own) before the panel renders,
 * only in devtools; the web panel and plain tabs never fetch it. Type imports only here: the panel's
 * bundle carries none of that code.
 */
import type { PageTasks } from "./page-tasks";
import { pageNetwork } from "./page-network";

export const PAGE_TASKS_GLOBAL = "celeryPanelPageTasks";

export type PageTasksClass = typeof PageTasks;

/** The PageTasks class page.js defined, or null (not in devtools, or the script failed to load). */
export function pageTasksClass(): PageTasksClass | null {
  return ((globalThis as Record<string, unknown>)[PAGE_TASKS_GLOBAL] as PageTasksClass | undefined) ?? null;
}

/** Calls `then` once page.js has loaded (or failed: the panel works without it), at once outside devtools. */
export function loadPageScript(then: () => void): void {
  if (!pageNetwork()) {
    then();
    return;
  }
  const script = document.createElement("script");
  script.src = "page.js";
  script.onload = script.onerror = () => then();
  document.head.append(script);
}
