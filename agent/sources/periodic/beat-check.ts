/**
 * Is beat alive? Beat itself says nothing to anyone, so the answer comes from its entries: each
 * one's next run is expected after its last run seen (or, never seen, after the agent started
 * watching); one that is past due by more than a tolerance, with nothing at all seen from beat
 * since, means beat stopped sending. An entry missed while other entries still run later is that
 * entry's problem (its task never shows up), not beat's.
 */
import type { BeatStatus } from "../../api/schema/enums";
import { computeSchedule } from "./index";

/** An entry as the check reads it. */
export interface Expectation {
  name: string;
  /** The schedule as beat_schedule or a store gives it (see parseScheduleRepr). */
  schedule: unknown;
  timeZone: string;
  /** The latest run known (from beat's store or the tasks seen), ms; null when none. */
  lastRun: number | null;
  /** false: beat sends nothing for it (disabled, expired, a one-off that ran). */
  active: boolean;
}

export interface EntryCheck {
  /** When its next run is (or was) expected, ms; null when nothing is expected. */
  due: number | null;
  /** `due` when it passed more than the tolerance ago with no run seen since. */
  missed: number | null;
}

export interface BeatVerdict {
  status: BeatStatus;
  detail: string;
  /** The entry the verdict rests on. */
  entry: string | null;
  /** The latest run of any entry, ms. */
  lastRun: number | null;
}

/** Lateness forgiven: event delivery and clocks that differ a little, more for rarer entries. */
const TOLERANCE_FLOOR_MS = 10_000;
const TOLERANCE_FRACTION = 0.1;
const TOLERANCE_CAP_MS = 5 * 60_000;
/**
 * A crontab or solar entry's next fire is looked for this long after its last run: a run recorded a
 * moment before its exact fire time (the worker's clock a little behind) must not expect the same
 * fire again.
 */
const FIRE_SLACK_MS = 30_000;

export function toleranceMs(periodMs: number): number {
  return TOLERANCE_FLOOR_MS + Math.min(TOLERANCE_CAP_MS, Math.max(0, periodMs) * TOLERANCE_FRACTION);
}

/** When the entry's next run is expected after `basis`, and how late it may come; null when never. */
function expected(e: Expectation, basis: number): { due: number; tolerance: number } | null {
  let s = computeSchedule(e.schedule, { now: new Date(basis), timeZone: e.timeZone, lastRun: new Date(basis) });
  if (s.kind === "crontab" || s.kind === "solar") s = computeSchedule(e.schedule, { now: new Date(basis + FIRE_SLACK_MS), timeZone: e.timeZone });
  else if (s.kind !== "interval") return null; // clocked: once; unknown: nothing to expect
  const due = s.next_run === null ? null : Date.parse(s.next_run);
  return due === null ? null : { due, tolerance: toleranceMs(due - basis) };
}

export function checkEntry(e: Expectation, now: number, watchingSince: number): EntryCheck {
  if (!e.active) return { due: null, missed: null };
  const x = expected(e, e.lastRun ?? watchingSince);
  if (!x) return { due: null, missed: null };
  return { due: x.due, missed: now > x.due + x.tolerance ? x.due : null };
}

/** The verdict on beat from all its entries, and each entry's own check. */
export function checkBeat(entries: readonly Expectation[], now: number, watchingSince: number): { verdict: BeatVerdict; entries: Map<string, EntryCheck> } {
  const checks = new Map(entries.map((e) => [e.name, checkEntry(e, now, watchingSince)] as const));
  const ran = entries.filter((e) => e.lastRun !== null).sort((a, b) => b.lastRun! - a.lastRun!);
  const latest = ran[0];
  const missed = entries.filter((e) => checks.get(e.name)!.missed !== null).sort((a, b) => checks.get(a.name)!.missed! - checks.get(b.name)!.missed!);
  const verdict = (status: BeatStatus, detail: string, entry: string | null): { verdict: BeatVerdict; entries: Map<string, EntryCheck> } => ({
    verdict: { status, detail, entry, lastRun: latest?.lastRun ?? null },
    entries: checks,
  });
  const missedText = (e: Expectation) => `entry ${e.name} was due ${ago(now - checks.get(e.name)!.missed!)}`;

  if (!entries.some((e) => e.active)) return verdict("unknown", entries.length ? "no entry is enabled" : "no periodic entry", null);
  if (!latest) {
    const first = missed[0];
    const since = `no entry has run since the agent started ${ago(now - watchingSince)} (nor in the tasks it read back)`;
    return verdict(
      "unknown",
      first ? `${since}; ${missedText(first)}: is beat running, and do its tasks reach the agent (events or result backend)?` : since,
      first?.name ?? null,
    );
  }
  // Due after the latest run of anything and not seen: beat has been silent since.
  const silent = missed.find((e) => checks.get(e.name)!.missed! > latest.lastRun!);
  if (silent) {
    const since = silent === latest ? `its last run ${ago(now - latest.lastRun!)}` : `entry ${latest.name} ran ${ago(now - latest.lastRun!)}`;
    return verdict("late", `${missedText(silent)} and nothing was seen since ${since}`, silent.name);
  }
  const others = missed.length ? `; not seen although beat sent others later: ${missed.map(missedText).join("; ")}` : "";
  return verdict("alive", `entry ${latest.name} ran ${ago(now - latest.lastRun!)} as scheduled${others}`, latest.name);
}

/** "8 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
