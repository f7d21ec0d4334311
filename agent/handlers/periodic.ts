import type { PeriodicTask, PeriodicTaskList } from "../api/schema";
import { isRecord } from "../protocol/envelope";
import { num, str } from "../protocol/events";
import { redbeatDate, redbeatScheduleRepr } from "../protocol/redis/redbeat";
import { computeSchedule } from "../sources/periodic";
import { maskSecrets } from "../sources/mask";
import { payloadHidden, type Access, type Hidden } from "./access";
import { iso, workerConf, type Ctx } from "./context";
import { periodicFromDb } from "./django";

function entry(
  name: string,
  def: Record<string, unknown>,
  schedule: unknown,
  tz: string,
  source: PeriodicTask["source"],
  known: { enabled: boolean | null; lastRun: number | null; runs: number | null; nextRun: number | null },
  hidden: Hidden | null,
): PeriodicTask {
  const now = new Date();
  const s = computeSchedule(schedule, { now, timeZone: tz, lastRun: known.lastRun === null ? null : new Date(known.lastRun) });
  const options = isRecord(def.options) ? def.options : {};
  return {
    name,
    task: str(def.task) ?? "?",
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
}

export async function listPeriodicTasks(ctx: Ctx, access: Access): Promise<PeriodicTaskList> {
  const hidden = payloadHidden(access);
  const { conf } = await workerConf(ctx);
  const tz = str(conf?.timezone) ?? "UTC";
  if (ctx.django.beat || ctx.options.beatDb) {
    // django-celery-beat's DatabaseScheduler copies beat_schedule into its tables: they are the whole truth.
    return { periodic_tasks: await periodicFromDb(ctx, tz), timezone: tz, source: periodicSource(ctx) };
  }
  const out: PeriodicTask[] = [];
  const schedule = isRecord(conf?.beat_schedule) ? conf.beat_schedule : {};
  for (const [name, def] of Object.entries(schedule)) {
    if (!isRecord(def)) continue;
    // beat's default store of last runs is a local shelve file: nothing outside beat can read it.
    out.push(entry(name, def, def.schedule, tz, "beat_schedule", { enabled: true, lastRun: null, runs: null, nextRun: null }, hidden));
  }
  const sources = [`beat_schedule from the workers' conf`];
  const prefix = str(conf?.redbeat_key_prefix) ?? "redbeat:";
  const redbeat = ctx.broker.status().state === "connected" ? await ctx.broker.redbeat(prefix).catch(() => []) : [];
  for (const e of redbeat) {
    const d = e.definition;
    const meta = e.meta;
    out.push(
      entry(str(d.name) ?? e.key.slice(prefix.length), d, redbeatScheduleRepr(d.schedule), tz, "redbeat", {
        enabled: typeof d.enabled === "boolean" ? d.enabled : true,
        lastRun: redbeatDate(meta?.last_run_at),
        runs: num(meta?.total_run_count),
        nextRun: e.nextRun === null ? null : e.nextRun * 1000,
      }, hidden),
    );
  }
  if (redbeat.length) sources.push(`RedBeat keys (${prefix}*) on ${ctx.brokerDescription()}`);
  out.sort((a, b) => a.name.localeCompare(b.name));
  return { periodic_tasks: out, timezone: tz, source: sources.join(" + ") };
}

export function periodicSource(ctx: Ctx): string {
  if (ctx.options.beatDb) return `django-celery-beat tables on ${ctx.options.beatDb.description}`;
  return "beat_schedule from inspect conf + RedBeat keys when present";
}
