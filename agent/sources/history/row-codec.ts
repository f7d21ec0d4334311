/**
 * A TaskRecord as one compact history row, and back. What the list filters and sorts on has its own
 * column (times as integer milliseconds, names interned as integer ids by the caller); everything
 * else goes in `body`, a small JSON object with one-letter keys, holding only the
 * fields that are set, its times as offsets from the received time. The timeline is kept too (the
 * detail view needs it), each step a short array whose host is left out when it is the task's worker.
 *
 * With `payloads` false (--redact) the row holds no arguments, result, exception message or
 * traceback, nor the timeline's details (they repeat exception messages).
 */
import { CELERY_TASK_STATES, TASK_STATES, type TaskState } from "../../api/schema/enums";
import { newRecord, receivedTime, type StoredValue, type TaskRecord, type TimelineItem } from "../tasks/record";

/** The columns of one row, before names are interned. */
export interface HistoryRow {
  id: string;
  recv: number;
  state: number;
  name: string | null;
  worker: string | null;
  queue: string | null;
  started: number | null;
  finished: number | null;
  runtime: number | null;
  body: string;
}

export const STATE_CODES = new Map<TaskState, number>(TASK_STATES.map((s, i) => [s, i]));

export function stateOf(code: number): TaskState {
  const s = TASK_STATES[code];
  if (s === undefined) throw new Error(`history row: unknown state code ${code}`);
  return s;
}

const SOURCES = ["event", "result_backend", "agent"] as const;
/**
 * The timeline's usual step types, stored as their index here (a byte where the name took up to
 * 14; a row's three steps were a tenth of it). Append only: rows on disk hold these numbers, which is
 * why the task events are spelled out here rather than taken from protocol/events.ts's set (its
 * order may change; these may not). A type not listed is stored as its text, as every type was before.
 */
const STEP_TYPES = [
  "task-sent",
  "task-received",
  "task-started",
  "task-succeeded",
  "task-failed",
  "task-retried",
  "task-revoked",
  "task-rejected",
  "lost",
  "waiting",
  ...CELERY_TASK_STATES.map((state) => `backend-${state.toLowerCase()}`),
];
const STEP_CODES = new Map(STEP_TYPES.map((type, i) => [type, i]));

type Body = Record<string, unknown>;

const ms = (v: number | null) => (v === null ? null : Math.round(v));

export function encodeRow(t: TaskRecord, opts: { payloads: boolean }): HistoryRow {
  const recv = Math.round(receivedTime(t));
  const b: Body = {};
  // Offsets from recv: small numbers, short text.
  const at = (key: string, v: number | null) => {
    if (v !== null) b[key] = Math.round(v) - recv;
  };
  const set = (key: string, v: unknown) => {
    if (v !== null && v !== undefined && v !== false) b[key] = v;
  };
  // The last state change is most often the finish: left out then (read back as the finished time).
  if (t.stateAt === null || t.finished === null || Math.round(t.stateAt) !== Math.round(t.finished)) at("a", t.stateAt);
  // First sight and receipt are most often the received time itself: left out then (null said).
  if (t.firstSeen !== recv) at("f", t.firstSeen);
  if (t.received === null) b.r = null;
  else if (Math.round(t.received) !== recv) at("r", t.received);
  at("s", t.sent);
  if (opts.payloads) {
    set("A", storedValue(t.args));
    set("K", storedValue(t.kwargs));
    set("R", storedValue(t.result));
    set("E", t.exception);
    set("M", t.excMessage);
    set("T", t.traceback);
  }
  set("x", t.excType);
  set("m", t.excModule);
  // Most queues are told by events: "event" is what a row without "q" means.
  set("q", t.queue === null || t.queueSource === "event" ? null : t.queueSource);
  set("X", t.exchange);
  set("k", t.routingKey);
  set("p", t.priority);
  set("y", t.retries);
  set("e", t.eta);
  set("z", t.expires);
  // The root is most often the task itself: "." says so in one character.
  set("o", t.rootId === t.id ? "." : t.rootId);
  set("P", t.parentId);
  if (t.children.length) b.c = t.children;
  // Most timelines are one run (attempt 1 on every step): said once.
  const firstRun = t.timeline.length > 0 && t.timeline.every((i) => i.attempt === 1);
  if (firstRun) b.u = 1;
  if (t.timeline.length) b.t = t.timeline.map((item) => encodeStep(item, t.worker, recv, opts.payloads, firstRun));
  if (t.lost) b.l = [t.lost.worker, Math.round(t.lost.at) - recv, t.lost.reason];
  set("v", t.fromEvents ? 1 : null);
  set("w", t.fromBackend ? 1 : null);
  return {
    id: t.id,
    recv,
    state: STATE_CODES.get(t.state)!,
    name: t.name,
    worker: t.worker,
    queue: t.queue,
    started: ms(t.started),
    finished: ms(t.finished),
    runtime: t.runtime,
    body: JSON.stringify(b),
  };
}

/** [type, at - recv, source code, host (0: the worker, -1: none), detail, attempt], trailing empties dropped. */
function encodeStep(item: TimelineItem, worker: string | null, recv: number, payloads: boolean, firstRun: boolean): unknown[] {
  const step: unknown[] = [
    STEP_CODES.get(item.type) ?? item.type,
    Math.round(item.at) - recv,
    SOURCES.indexOf(item.source),
    item.hostname === worker ? 0 : (item.hostname ?? -1),
    payloads ? item.detail : null,
    firstRun ? null : (item.attempt ?? null),
  ];
  while (step.length > 3 && (step[step.length - 1] === null || step[step.length - 1] === 0)) step.pop();
  return step;
}

function storedValue(v: StoredValue | null): unknown {
  if (v === null) return null;
  return v.format === "json" ? [v.value] : v.value;
}

function readValue(v: unknown): StoredValue | null {
  if (v === undefined || v === null) return null;
  // JSON values are wrapped in a one-element array; repr text is the bare string.
  return Array.isArray(v) ? { format: "json", value: v[0] } : { format: "repr", value: String(v) };
}

/** The record a row holds. `seq` is the row's own order (its rowid), not the live store's. */
export function decodeRow(row: HistoryRow, seq: number): TaskRecord {
  const b = JSON.parse(row.body) as Body;
  const recv = row.recv;
  const time = (key: string): number | null => (typeof b[key] === "number" ? recv + (b[key] as number) : null);
  const str = (key: string): string | null => (typeof b[key] === "string" ? (b[key] as string) : null);
  const num = (key: string): number | null => (typeof b[key] === "number" ? (b[key] as number) : null);
  const t = newRecord(row.id, seq, "f" in b ? (time("f") ?? recv) : recv);
  t.name = row.name;
  t.state = stateOf(row.state);
  t.stateAt = time("a") ?? row.finished ?? recv;
  t.sent = time("s");
  t.received = "r" in b ? time("r") : recv;
  t.started = row.started;
  t.finished = row.finished;
  t.runtime = row.runtime;
  t.worker = row.worker;
  t.queue = row.queue;
  t.queueSource = row.queue === null ? null : ((str("q") as TaskRecord["queueSource"]) ?? "event");
  t.args = readValue(b.A);
  t.kwargs = readValue(b.K);
  t.result = readValue(b.R);
  t.exception = str("E");
  t.excMessage = str("M");
  t.traceback = str("T");
  t.excType = str("x");
  t.excModule = str("m");
  t.exchange = str("X");
  t.routingKey = str("k");
  t.priority = num("p");
  t.retries = num("y");
  t.eta = str("e");
  t.expires = str("z");
  const root = str("o");
  t.rootId = root === "." ? row.id : root;
  t.parentId = str("P");
  t.children = Array.isArray(b.c) ? (b.c as string[]) : [];
  t.timeline = Array.isArray(b.t) ? (b.t as unknown[][]).map((s) => decodeStep(s, row.worker, recv, b.u === 1)) : [];
  if (Array.isArray(b.l)) {
    const [worker, at, reason] = b.l as [string, number, string];
    t.lost = { worker, at: recv + at, reason };
  }
  t.fromEvents = b.v === 1;
  t.fromBackend = b.w === 1;
  return t;
}

function decodeStep(s: unknown[], worker: string | null, recv: number, firstRun: boolean): TimelineItem {
  const host = s[3];
  const item: TimelineItem = {
    type: typeof s[0] === "number" ? (STEP_TYPES[s[0]] ?? "unknown") : String(s[0]),
    at: recv + Number(s[1]),
    source: SOURCES[Number(s[2])] ?? "agent",
    hostname: host === undefined || host === 0 ? worker : host === -1 ? null : String(host),
    detail: typeof s[4] === "string" ? s[4] : null,
  };
  if (firstRun) item.attempt = 1;
  else if (typeof s[5] === "number") item.attempt = s[5];
  return item;
}
