/**
 * The compact form of a task that is not changing any more: what the store's columns do not hold,
 * as two strings.
 *   - text: args, kwargs, result (JSON text or Celery's repr) and the exception, behind a short
 *     header of formats and lengths. It is also what the search reads.
 *   - rest: the rarely present fields (eta, parent, children, a timeline that says more than the
 *     one backend write) as JSON, or nothing at all for most tasks. (The traceback is interned by the
 *     store: failures at one place share one.)
 * Packing then unpacking gives back an equal record (`unpack(pack(t))` deep-equals `t`).
 */
import type { TaskState } from "../../api/schema/enums";
import type { StoredValue, TaskRecord, TimelineItem } from "./record";
import { valueText } from "./query";
import { SEP } from "./search";

/** Formats in the text header: JSON, repr, none. */
const FMT = { json: "j", repr: "r" } as const;

function fmtOf(v: StoredValue | null): string {
  return v === null ? "-" : FMT[v.format];
}

/**
 * args, kwargs, result and exception in one string, "jjr-12,2,4;[1,2]\0{}\0'ok'\0": formats,
 * lengths, then the four texts separated by SEP, so the searchable part is one slice.
 */
export function packText(t: TaskRecord): string {
  const a = t.args === null ? "" : valueText(t.args);
  const k = t.kwargs === null ? "" : valueText(t.kwargs);
  const r = t.result === null ? "" : valueText(t.result);
  const e = t.exception ?? "";
  // One flat string: join() copies into a single allocation, where a template literal would keep a
  // tree of concatenation nodes (and every piece) alive.
  return [
    fmtOf(t.args),
    fmtOf(t.kwargs),
    fmtOf(t.result),
    t.exception === null ? "-" : "e",
    a.length,
    ",",
    k.length,
    ",",
    r.length,
    ";",
    a,
    SEP,
    k,
    SEP,
    r,
    SEP,
    e,
  ].join("");
}

export interface TextFields {
  args: StoredValue | null;
  kwargs: StoredValue | null;
  result: StoredValue | null;
  exception: string | null;
}

interface RawText {
  fa: string;
  fk: string;
  fr: string;
  fe: string;
  a: string;
  k: string;
  r: string;
  e: string;
}

function split(s: string): RawText {
  const c1 = s.indexOf(",", 4);
  const c2 = s.indexOf(",", c1 + 1);
  const semi = s.indexOf(";", c2 + 1);
  const la = Number(s.slice(4, c1));
  const lk = Number(s.slice(c1 + 1, c2));
  const lr = Number(s.slice(c2 + 1, semi));
  const a0 = semi + 1;
  const k0 = a0 + la + 1;
  const r0 = k0 + lk + 1;
  return {
    fa: s[0]!,
    fk: s[1]!,
    fr: s[2]!,
    fe: s[3]!,
    a: s.slice(a0, a0 + la),
    k: s.slice(k0, k0 + lk),
    r: s.slice(r0, r0 + lr),
    e: s.slice(r0 + lr + 1),
  };
}

function value(fmt: string, text: string): StoredValue | null {
  if (fmt === "j") return { format: "json", value: JSON.parse(text) as unknown };
  if (fmt === "r") return { format: "repr", value: text };
  return null;
}

/** args or kwargs as stored, still text: JSON (result backend) or Celery's repr (events). */
export interface ArgText {
  format: "json" | "repr";
  text: string;
}

function argText(fmt: string, text: string): ArgText | null {
  return fmt === "j" ? { format: "json", text } : fmt === "r" ? { format: "repr", text } : null;
}

/** A packed task's args and kwargs without parsing them (what a periodic entry is matched on). */
export function packedArgs(s: string): { args: ArgText | null; kwargs: ArgText | null } {
  const x = split(s);
  return { args: argText(x.fa, x.a), kwargs: argText(x.fk, x.k) };
}

/** The same for a task held as a record. */
export function recordArgs(t: TaskRecord): { args: ArgText | null; kwargs: ArgText | null } {
  const of = (v: StoredValue | null): ArgText | null => (v === null ? null : { format: v.format, text: valueText(v) });
  return { args: of(t.args), kwargs: of(t.kwargs) };
}

export function unpackText(s: string): TextFields {
  const x = split(s);
  return { args: value(x.fa, x.a), kwargs: value(x.fk, x.k), result: value(x.fr, x.r), exception: x.fe === "e" ? x.e : null };
}

/** What the search reads of a task held as a record: the same as the body of its packed text. */
export function searchTextOf(t: TaskRecord): string {
  const v = (x: StoredValue | null) => (x === null ? "" : valueText(x));
  return [v(t.args), v(t.kwargs), v(t.result), t.exception ?? ""].join(SEP);
}

/** Flags for the rest: which fields are implied rather than stored. */
export const ROOT_IS_SELF = 1;
export const TIMELINE_IS_BACKEND_WRITE = 2;

const TIMELINE_SOURCES = ["event", "result_backend", "agent"] as const;
const DETAILED_STATES = new Set<TaskState>(["FAILURE", "RETRY", "REVOKED"]);

/** The one timeline entry a task seen only in one backend write has (see applyMeta). */
function impliedTimeline(t: TaskRecord): TimelineItem {
  const item: TimelineItem = {
    type: `backend-${t.state.toLowerCase()}`,
    at: t.stateAt,
    hostname: t.worker,
    source: "result_backend",
    detail: DETAILED_STATES.has(t.state) ? t.exception : null,
  };
  if (t.retries !== null) item.attempt = t.retries + 1;
  return item;
}

function sameItem(a: TimelineItem, b: TimelineItem): boolean {
  return a.type === b.type && a.at === b.at && a.hostname === b.hostname && a.source === b.source && a.detail === b.detail && a.attempt === b.attempt;
}

/** The rarely present fields as JSON (undefined when there are none) and the flags for implied ones. */
export function packRest(t: TaskRecord): { rest: string | undefined; flags: number } {
  let flags = 0;
  const o: Record<string, unknown> = {};
  if (t.excMessage !== null) o.m = t.excMessage;
  if (t.eta !== null) o.eta = t.eta;
  if (t.expires !== null) o.exp = t.expires;
  if (t.rootId === t.id) flags |= ROOT_IS_SELF;
  else if (t.rootId !== null) o.root = t.rootId;
  if (t.parentId !== null) o.par = t.parentId;
  if (t.children.length) o.ch = t.children;
  if (t.timeline.length === 1 && sameItem(t.timeline[0]!, impliedTimeline(t))) flags |= TIMELINE_IS_BACKEND_WRITE;
  else if (t.timeline.length) {
    o.tl = t.timeline.map((x) => {
      const row: unknown[] = [x.type, x.at, x.hostname, TIMELINE_SOURCES.indexOf(x.source), x.detail];
      if (x.attempt !== undefined) row.push(x.attempt);
      return row;
    });
  }
  if (t.lost !== null) o.lost = t.lost;
  if (t.waiting !== null) o.wait = t.waiting;
  for (const _ in o) return { rest: JSON.stringify(o), flags };
  return { rest: undefined, flags };
}

/** Fills `t` (columns already applied: state, stateAt, worker, exception...) from the rest. */
export function unpackRest(t: TaskRecord, rest: string | undefined, flags: number): void {
  const o = rest === undefined ? {} : (JSON.parse(rest) as Record<string, unknown>);
  t.excMessage = (o.m as string | undefined) ?? null;
  t.eta = (o.eta as string | undefined) ?? null;
  t.expires = (o.exp as string | undefined) ?? null;
  t.rootId = flags & ROOT_IS_SELF ? t.id : ((o.root as string | undefined) ?? null);
  t.parentId = (o.par as string | undefined) ?? null;
  t.children = (o.ch as string[] | undefined) ?? [];
  t.lost = (o.lost as TaskRecord["lost"] | undefined) ?? null;
  t.waiting = (o.wait as TaskRecord["waiting"] | undefined) ?? null;
  if (flags & TIMELINE_IS_BACKEND_WRITE) t.timeline = [impliedTimeline(t)];
  else
    t.timeline = ((o.tl as [string, number, string | null, 0 | 1 | 2, string | null, number?][] | undefined) ?? []).map(
      ([type, at, hostname, source, detail, attempt]) => ({
        type,
        at,
        hostname,
        source: TIMELINE_SOURCES[source],
        detail,
        ...(attempt !== undefined && { attempt }),
      }),
    );
}
