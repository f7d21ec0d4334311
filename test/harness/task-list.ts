/** Reading an agent's whole task list, and scratch directories removed when the test file ends. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import type { AgentProcess } from "./deployment";

/** A task as the list shows it, the fields the history tests look at. */
export interface ListedTask {
  id: string;
  name: string | null;
  state: string;
  runtime: number | null;
  result: unknown;
}

/** Every task the agent lists for `query`, following the cursor; each page's source line too. */
export async function listAllTasks(agent: AgentProcess, query = "", limit = 500): Promise<{ tasks: ListedTask[]; total: number; sources: string[] }> {
  const tasks: ListedTask[] = [];
  const sources: string[] = [];
  let cursor: string | null = null;
  let total = 0;
  do {
    const r: { status: number; body: any } = await agent.get<any>(`/api/v1/tasks?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    tasks.push(...r.body.tasks);
    sources.push(r.body.source);
    total = r.body.total;
    cursor = r.body.next_cursor;
  } while (cursor);
  return { tasks, total, sources };
}

/** Makes directories named `prefix…` under the system's temp dir, all removed after the file's tests. */
export function scratchDirs(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
