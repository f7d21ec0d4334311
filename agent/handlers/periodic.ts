import type { BeatCheck, PeriodicTask, PeriodicTaskList } from "../api/schema";
import { findingsAbout } from "./subject-findings";
import { isRecord } from "../protocol/envelope";
import { str } from "../protocol/events";
import { computeSchedule } from "../sources/periodic";
import { checkBeat, type Expectation } from "../sources/periodic/beat-check";
import { runsSeen, type EntrySignature } from "../sources/periodic/runs";
import type { DbPeriodicTask } from "../sources/django/beat";
import { maskSecrets } from "../base/mask";
import { FULL_ACCESS, payloadHidden, type Access, type Hidden } from "./access";
import type { PeriodicFacts } from "../sources/diagnostics/snapshot";
import { handlerState, iso, workerConf, type Ctx } from "./context";
import { periodicFromDb } from "./django";
import { periodicTaskFromDb } from "./present/periodic";

/** An entry as listed, with what its runs are recognised by (the unmasked definition). */
interface Listed {
  out: PeriodicTask;
  signature: EntrySignature;
  schedule: unknown;
  timeZone: string;
}

function entry(
  name: string,
  def: Record<string, unknown>,
  schedule: unknown,
  tz: string,
  source: PeriodicTask["source"],
  known: { enabled: boolean | null; lastRun: number | null; runs: number | null; nextRun: number | null },
  hidden: Hidden | null,
): Listed {
  const now = new Date();
  const s = computeSchedule(schedule, { now, timeZone: tz, lastRun: known.lastRun === null ? null : new Date(known.lastRun) });
  const options = isRecord(def.options) ? def.options : {};
  const task = str(def.task) ?? "?";
  const out: PeriodicTask = {
    name,
    task,
    schedule_kind: s.kind,
    schedule: s.human,
    schedule_raw: s.raw,
    // Arguments beat passes to a task can carry the same data as the task's own.
    args: hidden ?? maskSecrets(def.args ?? []),
    kwargs: hidden ?? maskSecrets(def.kwargs ?? {}),
    options: maskSecrets(options) as Record<string, unknown>,
    enabled: known.enabled,
    last_run: iso(known.lastRun),
    total_run_count: known.runs,
    next_run: known.nextRun !== null ? iso(known.nextRun) : s.next_run,
    source,
    error: s.error ?? null,
  };
  return { out, signature: { name, task, args: def.args, kwargs: def.kwargs, queue: str(options.queue) ?? null }, schedule, timeZone: tz };
}

/** A django-celery-beat row, as listed: its schedule is already in the repr the schedule code reads. */
function fromDbRow(p: DbPeriodicTask, hidden: Hidden | null): Listed {
  const out = periodicTaskFromDb(p);
  return {
    // Arguments beat passes to a task can carry the same data as the task's own.
    out: hidden ? { ...out, args: hidden, kwargs: hidden } : out,
    signature: { name: p.name, task: p.task, args: p.args, kwargs: p.kwargs, queue: p.queue },
    schedule: p.schedule.raw,
    timeZone: p.timeZone,
  };
}

/** The periodic view: the entries, and the findings about beat and them. */
export async function periodicTasksView(ctx: Ctx, access: Access): Promise<PeriodicTaskList> {
  const list = await listPeriodicTasks(ctx, access);
  const findings = await findingsAbout(ctx, (s) => s.type === "periodic_task" || (s.type === "deployment" && s.id === "beat"), access);
  return { ...list, findings };
}

/** `runs`: false skips the runs seen and the beat check (the overview only counts entries). */
export async function listPeriodicTasks(ctx: Ctx, access: Access): Promise<PeriodicTaskList> {
  const hidden = payloadHidden(access);
  const { conf } = await workerConf(ctx);
  const tz = str(conf?.timezone) ?? "UTC";
  const listed: Listed[] = [];
  let source: string;
  if (ctx.django.beat || ctx.options.beatDb) {
    // django-celery-beat's DatabaseScheduler copies beat_schedule into its tables: they are the whole truth.
    for (const p of await periodicFromDb(ctx, tz)) listed.push(fromDbRow(p, hidden));
    source = periodicSource(ctx);
  } else {
    const schedule = isRecord(conf?.beat_schedule) ? conf.beat_schedule : {};
    for (const [name, def] of Object.entries(schedule)) {
      if (!isRecord(def)) continue;
      // beat's default store of last runs is a local shelve file: nothing outside beat can read it.
      listed.push(entry(name, def, def.schedule, tz, "beat_schedule", { enabled: true, lastRun: null, runs: null, nextRun: null }, hidden));
    }
    const sources = [`beat_schedule from the workers' conf`];
    const prefix = str(conf?.redbeat_key_prefix) ?? "redbeat:";
    const redbeat = await ctx.periodicStore.entries(prefix);
    for (const e of redbeat) {
      const { enabled, lastRun, runs, nextRun } = e;
      listed.push(entry(e.name, e.definition, e.schedule, tz, "redbeat", { enabled, lastRun, runs, nextRun }, hidden));
    }
    const where = ctx.periodicStore.describe(prefix);
    if (redbeat.length && where) sources.push(where);
    source = sources.join(" + ");
  }
  const beat = addRunsSeen(ctx, listed);
  const out = listed.map((l) => l.out).sort((a, b) => a.name.localeCompare(b.name));
  return { periodic_tasks: out, timezone: tz, source, beat };
}

/**
 * How many entries the list would have, from the same sources, without describing each (their
 * schedules, next runs and runs seen): the overview, polled by every client, needs only this.
 */
export async function countPeriodicTasks(ctx: Ctx): Promise<number> {
  const { conf } = await workerConf(ctx);
  if (ctx.django.beat || ctx.options.beatDb) return (await periodicFromDb(ctx, str(conf?.timezone) ?? "UTC")).length;
  const schedule = isRecord(conf?.beat_schedule) ? Object.values(conf.beat_schedule).filter(isRecord).length : 0;
  return schedule + (await ctx.periodicStore.entries(str(conf?.redbeat_key_prefix) ?? "redbeat:")).length;
}

/**
 * Fills in last run, run count and (for intervals) next run from the tasks seen where the store
 * does not know them, marks missed runs, and judges beat from every entry's latest known run.
 */
function addRunsSeen(ctx: Ctx, listed: Listed[]): BeatCheck {
  const now = Date.now();
  const seen = recentRunsSeen(
    ctx,
    listed.map((l) => l.signature),
    now,
  );
  const expectations: Expectation[] = listed.map(({ out: p, schedule, timeZone }) => {
    const stored = p.last_run === null ? null : Date.parse(p.last_run);
    const observed = seen.get(p.name)?.lastRun ?? null;
    const expires = str(p.expires);
    return {
      name: p.name,
      schedule,
      timeZone,
      // The later of the two: django-celery-beat writes its last runs back only every few minutes.
      lastRun: stored === null ? observed : observed === null ? stored : Math.max(stored, observed),
      active: p.enabled !== false && !(expires && Date.parse(expires) <= now) && !(p.one_off === true && (p.total_run_count ?? 0) > 0),
    };
  });
  const { verdict, entries } = checkBeat(expectations, now, ctx.startedAt);
  for (const { out: p } of listed) {
    const runs = seen.get(p.name);
    const check = entries.get(p.name);
    if (p.last_run !== null) p.last_run_source = "beat store";
    else if (runs) {
      p.last_run = iso(runs.lastRun);
      p.total_run_count = runs.count;
      p.last_run_source = "tasks seen";
      p.last_task_id = runs.lastTaskId;
      // An interval runs `interval` after its last run: shown as is, even when that is past (missed).
      // A next run the store knows (RedBeat's schedule) stays.
      if (p.next_run === null && p.schedule_kind === "interval" && p.enabled !== false && check?.due != null) p.next_run = iso(check.due);
    } else p.last_run_source = null;
    p.missed_run = iso(check?.missed ?? null);
  }
  return { status: verdict.status, detail: verdict.detail, entry: verdict.entry, last_run: iso(verdict.lastRun) };
}

export function periodicSource(ctx: Ctx): string {
  if (ctx.options.beatDb) return `django-celery-beat tables on ${ctx.options.beatDb.description}`;
  return "beat_schedule from inspect conf + RedBeat keys when present";
}

/**
 * Finding an entry's runs walks the tasks of its name (up to MAX_SCAN of them): tens of
 * milliseconds with thousands held, too much to repeat for every client polling the view. One
 * walk serves every request for RUNS_FRESH_MS, while the entries stay the same.
 */
const RUNS_FRESH_MS = 3000;
const runsState = handlerState("periodic runs seen, shared for a few seconds", () => ({ key: "", at: 0, seen: new Map() as RunsByEntry }));

type RunsByEntry = ReturnType<typeof runsSeen>;

function recentRunsSeen(ctx: Ctx, entries: EntrySignature[], now: number): RunsByEntry {
  const state = ctx.state.get(runsState);
  const key = JSON.stringify(entries);
  if (state.key !== key || now - state.at >= RUNS_FRESH_MS) {
    state.seen = runsSeen(entries, (task, visit) => ctx.tasks.eachNamed(task, visit));
    state.key = key;
    state.at = now;
  }
  return state.seen;
}

const msOf = (t: string | null | undefined) => (t ? Date.parse(t) : null);

/** The entries and the beat check as the diagnostics read them (sources/diagnostics/periodic.ts). */
export async function periodicFacts(ctx: Ctx): Promise<PeriodicFacts> {
  const list = await listPeriodicTasks(ctx, FULL_ACCESS);
  return {
    entries: list.periodic_tasks.map((p) => ({
      name: p.name,
      task: p.task,
      enabled: p.enabled,
      schedule: p.schedule,
      error: p.error,
      lastRun: msOf(p.last_run),
      missedRun: msOf(p.missed_run),
    })),
    beat: list.beat ? { status: list.beat.status, detail: list.beat.detail, entry: list.beat.entry, lastRun: msOf(list.beat.last_run) } : null,
    source: list.source,
  };
}
