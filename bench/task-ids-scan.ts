/**
 * A micro-measure of the "This page" view's id scan (extension/panel/page/task-ids.ts) on 1 MB JSON
 * bodies: an API listing with a UUID in every row (the scan stops at the per-request cap), and a
 * listing whose only UUID is at the very end, with dates (dashes) in every row, so that the whole
 * text is scanned. 50 runs each after a warm-up; medians printed. Issue 17 asks for under 5 ms.
 * Run: `npx tsx bench/task-ids-scan.ts`.
 */
import { randomUUID } from "node:crypto";
import { taskIdsOf } from "../extension/panel/page/task-ids";

const MB = 1024 * 1024;

function listing(row: (i: number) => unknown, tail: unknown = null): string {
  const rows: unknown[] = [];
  const oneRow = JSON.stringify(row(0)).length + 1;
  for (let i = 0; i < MB / oneRow; i++) rows.push(row(i));
  return JSON.stringify({ items: rows, tail });
}

function measure(what: string, body: string): void {
  const request = { requestHeaders: [], responseHeaders: [], body, mimeType: "application/json" };
  for (let i = 0; i < 10; i++) taskIdsOf(request);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    taskIdsOf(request);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.floor(times.length * q)]!.toFixed(2);
  console.log(`${what} (${(body.length / MB).toFixed(2)} MB, ${taskIdsOf(request).length} ids): median ${at(0.5)} ms, p90 ${at(0.9)} ms (target < 5 ms)`);
}

const note = "a note about the row, long enough to look like real text";
measure(
  "listing with a UUID per row",
  listing(() => ({ id: randomUUID(), owner: { email: "someone@example.com" }, figures: [1.5, 2], note })),
);
measure(
  "listing with dates in every row and one UUID at the end (whole text scanned)",
  listing((i) => ({ n: i, created: "2026-12-01T10:00:00Z", range: "10-20", owner: { tags: ["a-b", "c"] }, note }), { task_id: randomUUID() }),
);
