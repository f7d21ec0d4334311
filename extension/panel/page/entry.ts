/**
 * The "This page" machinery as its own script (page.js), so the panel's bundle stays within its
 * budget: loaded by the panel only in devtools (page-script.ts), where there is a page to watch.
 */
import { PageTasks } from "./page-tasks";
import { PAGE_TASKS_GLOBAL } from "./page-script";

(globalThis as Record<string, unknown>)[PAGE_TASKS_GLOBAL] = PageTasks;
