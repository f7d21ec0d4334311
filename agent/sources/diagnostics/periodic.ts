/**
 * Periodic tasks: beat silent (nothing sent since an entry fell due: the beat check's "late"), an
 * entry whose run was due and never seen while beat sends others, a disabled entry, and a crontab
 * that can never fire (31 February). Read from the periodic view's own data (runs seen, beat check).
 */
import type { Finding } from "./finding";
import { duration, iso } from "./finding";
import type { DiagnosticSnapshot, PeriodicEntryFacts } from "./snapshot";

const entrySubject = (e: PeriodicEntryFacts) => ({ type: "periodic_task" as const, id: e.name });
const NEVER_FIRES = /never fires/;

export function periodicFindings(snap: DiagnosticSnapshot): Finding[] {
  const p = snap.periodic;
  if (!p) return [];
  const out: Finding[] = [];
  const beatLate = p.beat?.status === "late";
  if (p.beat && beatLate) {
    const last = p.beat.lastRun;
    out.push({
      kind: "beat_silent",
      severity: "problem",
      subject: { type: "deployment", id: "beat" },
      sentence: `celery beat looks stopped: ${p.beat.detail}.`,
      evidence: [
        { what: "beat check", value: p.beat.detail, at: snap.now, source: "schedule" },
        { what: "latest run of any entry", value: last === null ? null : iso(last), ...(last !== null && { at: last }), source: "events" },
        { what: "entries read from", value: p.source, source: "schedule" },
      ],
      action:
        "Check that exactly one celery beat process runs, that it reaches the broker, and its log; its tasks reach the agent only through events or the result backend.",
    });
  }
  for (const e of p.entries) {
    if (e.enabled === false) {
      out.push({
        kind: "periodic_disabled",
        severity: "info",
        subject: entrySubject(e),
        sentence: `Periodic task ${e.name} (${e.task}) is disabled: beat does not send it.`,
        evidence: [{ what: "enabled", value: false, source: "schedule" }],
        action: "Enable it in its scheduler (django-celery-beat's admin, RedBeat's entry) if it should run.",
      });
      continue;
    }
    if (e.error !== null && NEVER_FIRES.test(e.error)) {
      out.push({
        kind: "periodic_never_fires",
        // Not only this entry: celery beat (5.2) raises "unable to rollover" on it and exits, so nothing runs.
        severity: "problem",
        subject: entrySubject(e),
        sentence: `Periodic task ${e.name} (${e.task}) can never run: its crontab names no date that exists (${e.error.replace(/^bad crontab: /, "")}), and celery beat stops on it ("unable to rollover"), sending no entry at all.`,
        evidence: [
          { what: "schedule", value: e.schedule, source: "schedule" },
          { what: "why", value: e.error, source: "schedule" },
        ],
        action: "Fix the crontab's day_of_month / month_of_year (e.g. the last day of February is day 28 or 29), then start beat again.",
      });
      continue;
    }
    // With beat silent, every entry is late: beat_silent says it once.
    if (e.missedRun !== null && !beatLate) {
      out.push({
        kind: "periodic_missed",
        severity: "warning",
        subject: entrySubject(e),
        sentence: `Periodic task ${e.name} (${e.task}) was due ${duration(snap.now - e.missedRun)} ago and no run of it was seen, while beat sends others.`,
        evidence: [
          { what: "due at", value: iso(e.missedRun), at: e.missedRun, source: "schedule" },
          { what: "last run seen", value: e.lastRun === null ? null : iso(e.lastRun), ...(e.lastRun !== null && { at: e.lastRun }), source: "events" },
          { what: "schedule", value: e.schedule, source: "schedule" },
        ],
        action: "Check the entry's task name and queue (a worker must consume it and register the name), its expiry, and beat's log for errors sending it.",
      });
    }
  }
  return out;
}
