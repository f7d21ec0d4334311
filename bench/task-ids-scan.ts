/**
 * A micro-measure of the "This page" view's id scan (extension/panel/page/task-ids.ts) on 1 MB JSON
 * bodies: an API listing with a UUID in every row (the scan stops at the per-request cap), and a
 * listing whose only UUID is at the very end, with dates (dashes) in every row, so that the whole
 * text is scanned. 50 runs each after a warm-up. Issue 17 asks for under 5 ms. Part of the bench's
 * `build` section (suites/build.ts); alone: `npx tsx bench/task-ids-scan.ts`.
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { taskIdsOf } from "../extension/panel/page/task-ids";
import { summarize } from "./lib/stats";

const MB = 1024 * 1024;
export const SCAN_TARGET_MS = 5;

export interface ScanMeasure {
  what: string;
  megabytes: number;
  ids: number;
  /** Milliseconds per scan, one per run. */
  samples: number[];
}

function listing(row: (i: number) => unknown, tail: unknown = null): string {
  const rows: unknown[] = [];
  const oneRow = JSON.stringify(row(0)).length + 1;
  for (let i = 0; i < MB / oneRow; i++) rows.push(row(i));
  return JSON.stringify({ items: rows, tail });
}

function measure(what: string, body: string): ScanMeasure {
  const request = { requestHeaders: [], responseHeaders: [], body, mimeType: "application/json" };
  for (let i = 0; i < 10; i++) taskIdsOf(request);
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    taskIdsOf(request);
    samples.push(performance.now() - start);
  }
  return { what, megabytes: body.length / MB, ids: taskIdsOf(request).length, samples };
}

const note = "a note about the row, long enough to look like real text";

export function measureTaskIdScan(): ScanMeasure[] {
  return [
    measure(
      "listing with a UUID per row",
      listing(() => ({ id: randomUUID(), owner: { email: "someone@example.com" }, figures: [1.5, 2], note })),
    ),
    measure(
      "listing with dates in every row and one UUID at the end (whole text scanned)",
      listing((i) => ({ n: i, created: "2026-12-01T10:00:00Z", range: "10-20", owner: { tags: ["a-b", "c"] }, note }), { task_id: randomUUID() }),
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const m of measureTaskIdScan()) {
    const { p50, p90 } = summarize(m.samples);
    console.log(
      `${m.what} (${m.megabytes.toFixed(2)} MB, ${m.ids} ids): median ${p50.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms (target < ${SCAN_TARGET_MS} ms)`,
    );
  }
}
