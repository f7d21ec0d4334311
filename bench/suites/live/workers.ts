/** The live section's deployment: the four workers every benchmark of it shares, and waiting for workers. */
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentProcess } from "../../../test/harness/deployment";

export const WORKERS = ["w1@bench", "w2@bench", "w3@bench", "w4@bench"];

export interface WorkerRow {
  name: string;
  status: string;
}

export async function waitForWorkers(agent: AgentProcess, names: string[], status = "online", timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await agent.get<{ workers: WorkerRow[] }>("/api/v1/workers");
    if (names.every((n) => body.workers?.some((w) => w.name === n && w.status === status))) return;
    if (Date.now() > until) throw new Error(`workers ${names.join(", ")} not ${status} after ${timeoutMs} ms`);
    await sleep(200);
  }
}
