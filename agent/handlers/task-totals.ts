/**
 * Tasks per name and per worker, as the task list holds them and as the workers count them
 * (`inspect stats`' `total`): the list cannot name a task it knows only by its stored result, while
 * every worker counts what it ran since it started.
 */
import type { TaskTotals } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { num } from "../protocol/events";
import type { Ctx } from "./context";

/** From the latest stats each known worker gave, without asking anything. */
export function taskTotals(ctx: Ctx): TaskTotals {
  const listedByName = ctx.tasks.facet("name");
  const listedByWorker = ctx.tasks.facet("worker");
  const ranByName = new Map<string, number>();
  const ranByWorker = new Map<string, number>();
  const reportedBy: string[] = [];
  for (const w of ctx.workers.all()) {
    const total = ctx.inspector.latest("stats", w.name)?.value;
    if (!isRecord(total) || !isRecord(total.total)) continue;
    reportedBy.push(w.name);
    let sum = 0;
    for (const [name, n] of Object.entries(total.total)) {
      const count = num(n) ?? 0;
      ranByName.set(name, (ranByName.get(name) ?? 0) + count);
      sum += count;
    }
    ranByWorker.set(w.name, sum);
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const keys = (a: Map<string, number>, b: Map<string, number>) => [...new Set([...a.keys(), ...b.keys()])].sort();
  return {
    by_name: keys(listedByName, ranByName).map((name) => ({ name, listed: listedByName.get(name) ?? 0, ran: ranByName.get(name) ?? null })),
    by_worker: keys(listedByWorker, ranByWorker).map((worker) => ({ worker, listed: listedByWorker.get(worker) ?? 0, ran: ranByWorker.get(worker) ?? null })),
    listed_without_name: ctx.tasks.size - sum(listedByName),
    listed_without_worker: ctx.tasks.size - sum(listedByWorker),
    ran_reported_by: reportedBy.sort(),
  };
}
