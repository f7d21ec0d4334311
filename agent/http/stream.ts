/**
 * The `events` Server-Sent Events stream: worker and task changes as they happen, batched per
 * quarter second (the latest state of each task or worker only), so a burst never floods a client.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Agent } from "../runtime";
import { hideRowPayloads, taskRow } from "../sources/tasks/present";
import { payloadHidden, type Access } from "../handlers/access";
import type { TaskRecord } from "../sources/tasks/record";
import { summaryOf } from "../handlers/workers";
import { health } from "../handlers/health";

const FLUSH_MS = 250;
const KEEPALIVE_MS = 15_000;
const MAX_PENDING = 5000;

export function eventStream(c: Context, agent: Agent, access: Access) {
  const hidden = payloadHidden(access);
  const row = (t: TaskRecord) => (hidden ? hideRowPayloads(taskRow(t), hidden) : taskRow(t));
  return streamSSE(c, async (stream) => {
    const tasks = new Map<string, TaskRecord>();
    const workers = new Set<string>();
    let healthChanged = true;
    const off = agent.onChange((ch) => {
      if (ch.kind === "task") {
        if (tasks.size < MAX_PENDING || tasks.has(ch.task.id)) tasks.set(ch.task.id, ch.task);
      } else if (ch.kind === "worker") workers.add(ch.name);
      else healthChanged = true;
    });
    let closed = false;
    stream.onAbort(() => {
      closed = true;
      off();
    });
    let lastWrite = Date.now();
    try {
      while (!closed) {
        if (healthChanged) {
          healthChanged = false;
          await stream.writeSSE({ event: "health", data: JSON.stringify(health(agent, access)) });
          lastWrite = Date.now();
        }
        for (const name of workers) {
          const w = summaryOf(agent, name);
          if (w) await stream.writeSSE({ event: "worker", data: JSON.stringify(w) });
          lastWrite = Date.now();
        }
        workers.clear();
        for (const t of tasks.values()) await stream.writeSSE({ event: "task", data: JSON.stringify(row(t)) });
        if (tasks.size) lastWrite = Date.now();
        tasks.clear();
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          await stream.write(": keepalive\n\n");
          lastWrite = Date.now();
        }
        await stream.sleep(FLUSH_MS);
      }
    } finally {
      off();
    }
  });
}
