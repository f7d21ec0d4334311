/**
 * Fills a redis-server with realistic result-backend records fast: real `celery-task-meta-*` values
 * recorded from the fixture's workers are the templates; each generated record gets a new id, a
 * `date_done` within the last 24 h, its own arguments and result, and is written as Celery writes it
 * (Python's json.dumps spacing, SET ... EX 86400), streamed through `redis-cli --pipe`.
 */
import { randomUUID } from "node:crypto";
import { openRedisPipe } from "./redis-pipe";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Python's json.dumps with its default separators (", " and ": ") and ensure_ascii. */
export function pyDumps(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === "string") return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`)
    .join(", ")}}`;
}

/** Celery's naive UTC isoformat with microseconds. */
function celeryDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(Math.floor(Math.random() * 1000)).padStart(3, "0")}`;
}

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  port: number;
  db: number;
  count: number;
  /** Real records to use as templates (JSON strings). */
  templates: string[];
  now: number;
  workers?: number;
}

export interface GenerateResult {
  ms: number;
  bytes: number;
  byState: Record<string, number>;
  byName: Record<string, number>;
  sampleIds: string[];
}

/** One generated record from a template: same shape, new values. */
function vary(t: Record<string, Json>, r: () => number, now: number, workers: number): Record<string, Json> {
  const m: Record<string, Json> = { ...t };
  const int = (n: number) => Math.floor(r() * n);
  const name = String(t.name ?? "");
  m.task_id = randomUUID();
  m.worker = `w${1 + int(workers)}@bench`;
  m.date_done = celeryDate(now - r() * 24 * 3600_000);
  switch (name) {
    case "panel_fixture.add": {
      const a = int(10 ** 6);
      const b = int(10 ** 6);
      m.args = [a, b];
      m.result = a + b;
      break;
    }
    case "panel_fixture.audit_login": {
      const user = `user-${1 + int(99_999)}@example.com`;
      m.args = [user];
      m.result = `audited ${user}`;
      break;
    }
    case "panel_fixture.encode_video": {
      const id = 1 + int(10 ** 7);
      const quality = ["sd", "hd", "4k"][int(3)]!;
      m.args = [id];
      m.kwargs = { quality };
      m.result = { video_id: id, quality };
      break;
    }
    case "panel_fixture.report": {
      const kind = ["daily", "weekly", "nightly", "adhoc"][int(4)]!;
      m.kwargs = { kind };
      m.result = { kind, rows: 1 + int(500) };
      break;
    }
    case "panel_fixture.fail": {
      const msg = ["card declined", "timeout talking to payments", "bad input"][int(3)]!;
      m.args = [msg];
      if (m.result && typeof m.result === "object" && !Array.isArray(m.result)) m.result = { ...m.result, exc_message: [msg] };
      if (typeof m.traceback === "string") m.traceback = m.traceback.replace(/ValueError: .*\n$/, `ValueError: ${msg}\n`);
      break;
    }
  }
  return m;
}

export async function generateMetas(o: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const r = rng(42);
  const templates = o.templates.map((s) => JSON.parse(s) as Record<string, Json>).filter((t) => typeof t.status === "string");
  if (!templates.length) throw new Error("no result-backend templates recorded");
  const success = templates.find((t) => t.status === "SUCCESS" && t.name === "panel_fixture.add") ?? templates[0]!;
  const workers = o.workers ?? 8;
  const byState: Record<string, number> = {};
  const byName: Record<string, number> = {};
  const sampleIds: string[] = [];
  const pipe = openRedisPipe(o.port, o.db);
  let bytes = 0;
  const BATCH = 5000;
  for (let i = 0; i < o.count; i += BATCH) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(o.count, i + BATCH); j++) {
      const x = r();
      let m: Record<string, Json>;
      if (x < 0.015) {
        // A task running now (task_track_started): no date, {pid, hostname} as its result.
        m = vary(success, r, o.now, workers);
        m.status = "STARTED";
        m.result = { pid: 1000 + Math.floor(r() * 30000), hostname: m.worker ?? null };
        m.date_done = null;
      } else if (x < 0.025) {
        m = vary(success, r, o.now, workers);
        m.status = "REVOKED";
        m.result = { exc_type: "TaskRevokedError", exc_message: ["revoked"], exc_module: "celery.exceptions" };
      } else if (x < 0.026) {
        m = vary(success, r, o.now, workers);
        const s = 1 + Math.floor(r() * 30);
        m.name = "panel_fixture.sleep_for";
        m.args = [s];
        m.result = s;
      } else {
        m = vary(templates[Math.floor(r() * templates.length)]!, r, o.now, workers);
      }
      const status = String(m.status);
      byState[status] = (byState[status] ?? 0) + 1;
      byName[String(m.name)] = (byName[String(m.name)] ?? 0) + 1;
      if (sampleIds.length < 20 && j % 9973 === 0) sampleIds.push(String(m.task_id));
      const key = `celery-task-meta-${String(m.task_id)}`;
      const value = pyDumps(m);
      parts.push(`*5\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n$2\r\nEX\r\n$5\r\n86400\r\n`);
    }
    const chunk = parts.join("");
    bytes += chunk.length;
    await pipe.write(chunk);
  }
  await pipe.finish();
  return { ms: performance.now() - t0, bytes, byState, byName, sampleIds };
}
