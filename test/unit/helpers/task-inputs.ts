/** Task events and result-backend records as the store receives them, for the task store's tests. */
import assert from "node:assert/strict";
import type { CeleryEvent } from "../../../agent/protocol/events";
import type { TaskMeta } from "../../../agent/protocol/result-meta";
import { matchesText, type TaskFilter, type TaskSort } from "../../../agent/sources/tasks/query";
import { receivedTime, type TaskRecord } from "../../../agent/sources/tasks/record";
import type { TaskStore } from "../../../agent/sources/tasks/store";

export const T0 = 1795558020;
export const ms = (s: number) => Math.round(s * 1000);

/** A task event `type` for task `id`, sent and received at `ts` (seconds). */
export function ev(type: string, id: string, ts: number, fields: Record<string, unknown> = {}, hostname = "w1@vm"): CeleryEvent {
  return {
    type,
    hostname,
    timestamp: ts,
    receivedAt: ms(ts),
    utcoffset: 0,
    clock: null,
    pid: null,
    fields: { type, hostname, timestamp: ts, uuid: id, ...fields },
  };
}

/** A result-backend record of task `id`, seen at T0. */
export function meta(id: string, status: string, over: Partial<TaskMeta> = {}): TaskMeta {
  return {
    taskId: id,
    status,
    result: null,
    traceback: null,
    children: [],
    dateDone: null,
    name: null,
    args: null,
    kwargs: null,
    worker: null,
    retries: null,
    queue: null,
    parentId: null,
    rootId: null,
    seenAt: ms(T0),
    ...over,
  };
}

/** What a task query must return, computed the slow, obvious way (the reference the store is checked against). */
export function referenceQuery(tasks: Iterable<TaskRecord>, f: TaskFilter, sort: TaskSort): string[] {
  const key = (t: TaskRecord) =>
    sort.by === "received"
      ? receivedTime(t)
      : sort.by === "started"
        ? (t.started ?? -Infinity)
        : sort.by === "finished"
          ? (t.finished ?? -Infinity)
          : (t.runtime ?? -Infinity);
  const dir = sort.order === "asc" ? 1 : -1;
  return [...tasks]
    .filter(
      (t) =>
        (!f.states || f.states.includes(t.state)) &&
        (f.name === undefined || t.name === f.name) &&
        (f.worker === undefined || t.worker === f.worker) &&
        (f.queue === undefined || t.queue === f.queue),
    )
    .filter(
      (t) => (f.since === undefined || receivedTime(t) >= f.since) && (f.until === undefined || receivedTime(t) <= f.until) && (!f.q || matchesText(t, f.q)),
    )
    .sort((a, b) => (key(a) !== key(b) ? (key(a) < key(b) ? -1 : 1) * dir : (a.seq - b.seq) * dir))
    .map((t) => t.id);
}

/** Every task the store holds, through its listing: one page of them all (a listing missing one fails here). */
export function heldTasks(s: TaskStore): TaskRecord[] {
  const page = s.query({}, { by: "received", order: "asc" }, s.size + 1, null);
  assert.equal(page.tasks.length, s.size, "the listing shows every held task");
  return page.tasks;
}
