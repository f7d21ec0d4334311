/**
 * The snapshot's parts read from the task store (the waiting tasks, the LOST ones), kept between
 * recomputes while no task changed: with a million tasks held and nothing happening, a recompute
 * each second then costs the rules, not a thousand records unpacked again.
 */
import type { TaskState } from "../api/schema/enums";
import type { LostTask, TaskFacts } from "../sources/diagnostics/snapshot";
import type { TaskStore } from "../sources/tasks/store";
import { lostTasks } from "./diagnostics-history";

/**
 * Waiting tasks read per query, oldest first: a flood of PENDING tasks costs a bounded snapshot. The
 * findings name at most 100 tasks and count a queue's by its depth, so a few hundred is enough; each
 * task read is a record unpacked.
 */
const MAX_TASKS_PER_QUERY = 500;
const WAITING_STATES: TaskState[][] = [
  ["RECEIVED", "SCHEDULED"],
  ["PENDING", "RETRY"],
];
const OLDEST_FIRST = { by: "received", order: "asc" } as const;
/** Read again this often even with no change heard (a task removed from the store tells no one). */
const MAX_AGE_MS = 10_000;

export interface StoredTaskFacts {
  /** Tasks held that wait for something, the oldest first per group of states (bounded). */
  waiting: TaskFacts[];
  lost: LostTask[];
}

export class TaskFactsCache {
  private held: { facts: StoredTaskFacts; at: number } | null = null;

  constructor(private readonly tasks: TaskStore) {
    tasks.onChange(() => (this.held = null));
  }

  read(now: number): StoredTaskFacts {
    if (this.held && now - this.held.at < MAX_AGE_MS) return this.held.facts;
    const waiting: TaskFacts[] = [];
    for (const states of WAITING_STATES) waiting.push(...this.tasks.query({ states }, OLDEST_FIRST, MAX_TASKS_PER_QUERY, null).tasks);
    const facts = { waiting, lost: lostTasks(this.tasks) };
    this.held = { facts, at: now };
    return facts;
  }
}
