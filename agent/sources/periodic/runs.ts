/**
 * A beat entry's runs, as the tasks the agent has seen tell them. Beat's default scheduler keeps
 * its last-run times in a local shelve file nobody else can read, and the messages it sends carry
 * nothing naming the entry (Celery 5.2's beat sets no header; task events carry no headers at all),
 * so a run is a task with the entry's task name, args and kwargs (and queue, when the entry names
 * one). A task sent by hand with the same name and arguments counts too: that is the limit.
 */
import type { ArgText } from "../tasks/pack";
import type { NamedTask } from "../tasks/named-tasks";
import { parsePythonLiteral, pythonRepr } from "./python-literal";

/** What an entry's runs are recognised by. */
export interface EntrySignature {
  /** The entry's name (its key in beat_schedule). */
  name: string;
  task: string;
  /** As `inspect conf` gives them: beat sends [] and {} when they are empty or absent. */
  args: unknown;
  kwargs: unknown;
  /** options.queue, when the entry sets one. */
  queue: string | null;
}

export interface RunsSeen {
  /** The newest run's send time, ms, and its task id. */
  lastRun: number;
  lastTaskId: string;
  count: number;
  /** True when the task name had more tasks than were looked at (count is then a lower bound). */
  capped: boolean;
}

/** Tasks of one name, newest first (TaskStore.eachNamed). */
export type EachNamed = (task: string, visit: (t: NamedTask) => boolean) => void;

/** Tasks looked at per task name: bounds the work of one request over a huge store. */
export const MAX_SCAN = 2_000;

type Verdict = "yes" | "no" | "maybe";

/** What beat sends when an entry has no args or kwargs. */
const NO_ARGS: readonly unknown[] = Object.freeze([]);
const NO_KWARGS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Runs seen per entry name (entries with no run seen are absent). */
export function runsSeen(entries: readonly EntrySignature[], eachNamed: EachNamed, maxScan = MAX_SCAN): Map<string, RunsSeen> {
  const out = new Map<string, RunsSeen>();
  const byTask = new Map<string, EntrySignature[]>();
  for (const e of entries) byTask.set(e.task, [...(byTask.get(e.task) ?? []), e]);
  // Runs of one entry repeat the same argument texts: each is parsed once.
  const parsed = new Map<string, unknown>();
  for (const [task, group] of byTask) {
    let scanned = 0;
    let capped = false;
    eachNamed(task, (t) => {
      if (++scanned > maxScan) {
        capped = true;
        return false;
      }
      const entry = attribute(group, t, parsed);
      if (!entry) return true;
      const seen = out.get(entry.name);
      if (!seen) out.set(entry.name, { lastRun: t.at, lastTaskId: t.id, count: 1, capped: false });
      else {
        seen.count++;
        if (t.at > seen.lastRun) {
          seen.lastRun = t.at;
          seen.lastTaskId = t.id;
        }
      }
      return true;
    });
    if (capped) for (const e of group) if (out.has(e.name)) out.get(e.name)!.capped = true;
  }
  return out;
}

/** The entry a task is a run of: one whose arguments match, or the only one they may match. */
function attribute(group: readonly EntrySignature[], t: NamedTask, parsed: Map<string, unknown>): EntrySignature | null {
  const maybe: EntrySignature[] = [];
  for (const e of group) {
    if (e.queue !== null && t.queue !== null && e.queue !== t.queue) continue;
    const v = both(compare(e.args, NO_ARGS, t.args, parsed), compare(e.kwargs, NO_KWARGS, t.kwargs, parsed));
    if (v === "yes") return e;
    if (v === "maybe") maybe.push(e);
  }
  return maybe.length === 1 ? maybe[0]! : null;
}

function both(a: Verdict, b: Verdict): Verdict {
  return a === "no" || b === "no" ? "no" : a === "yes" && b === "yes" ? "yes" : "maybe";
}

/** Does a task's stored args (or kwargs) text equal the entry's value? "maybe" when it cannot be told. */
function compare(entryValue: unknown, empty: unknown, stored: ArgText | null, parsed: Map<string, unknown>): Verdict {
  if (stored === null) return "maybe";
  const expected = entryValue === undefined || entryValue === null || (Array.isArray(entryValue) && entryValue.length === 0) ? empty : entryValue;
  // conf could not say what the entry sends (an object it printed as text): no verdict.
  if (Array.isArray(empty) ? !Array.isArray(expected) : !isPlainObject(expected)) return "maybe";
  // Beat's own runs print exactly so: no parsing for them.
  if (stored.text === printed(expected as object, stored.format)) return "yes";
  const key = `${stored.format}:${stored.text}`;
  let value = parsed.get(key);
  if (value === undefined && !parsed.has(key)) {
    value = stored.format === "json" ? jsonOrUndefined(stored.text) : parsePythonLiteral(stored.text);
    parsed.set(key, value);
  }
  if (value === undefined) return "maybe";
  return sameValue(expected, value) ? "yes" : "no";
}

/** An entry's value as a task would carry it, printed once per value rather than once per task looked at. */
const printedJson = new WeakMap<object, string>();
const printedRepr = new WeakMap<object, string>();
function printed(value: object, format: ArgText["format"]): string {
  const cache = format === "json" ? printedJson : printedRepr;
  let text = cache.get(value);
  if (text === undefined) {
    text = format === "json" ? JSON.stringify(value) : pythonRepr(value);
    cache.set(value, text);
  }
  return text;
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON-like values, key order aside. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}
