/**
 * Lost or stuck work: tasks LOST with the worker that held them (one finding per worker), tasks
 * STARTED far longer than their name usually runs, and a busy worker silent (a solo pool sends no
 * heartbeat while it runs a task) so long past its task's usual runtime that it may be dead.
 */
import { suspectRun } from "../workers/busy";
import type { Finding } from "./finding";
import { duration, iso, listed } from "./finding";
import type { DiagnosticSnapshot, LostTask } from "./snapshot";

/** LOST tasks are news for this long. */
export const LOST_NEWS_MS = 60 * 60_000;
/** A task runs "far longer" than usual past this many times its p95, and by at least the snapshot's stuckAfterMs. */
export const LONG_FACTOR = 3;

export function stuckWorkFindings(snap: DiagnosticSnapshot): Finding[] {
  return [...lostFindings(snap), ...runningLongFindings(snap), ...silentBusyFindings(snap)];
}

function lostFindings(snap: DiagnosticSnapshot): Finding[] {
  const byWorker = new Map<string, LostTask[]>();
  for (const t of snap.lostTasks) {
    if (snap.now - t.at > LOST_NEWS_MS) continue;
    const list = byWorker.get(t.worker) ?? [];
    list.push(t);
    byWorker.set(t.worker, list);
  }
  return [...byWorker].map(([worker, lost]) => {
    const last = Math.max(...lost.map((t) => t.at));
    const names = [...new Set(lost.map((t) => t.name ?? "unnamed"))];
    const w = snap.workers.find((x) => x.name === worker);
    const state = w ? (w.status === "offline" ? "is offline" : w.restartedAt !== null ? "restarted" : "is back online") : "is gone";
    return {
      kind: "tasks_lost" as const,
      severity: "problem" as const,
      subject: { type: "worker" as const, id: worker },
      sentence: `${lost.length} task${lost.length === 1 ? " was" : "s were"} lost with ${worker} (${listed(names)}), the last ${duration(snap.now - last)} ago: it ${state}, and nothing says ${lost.length === 1 ? "it" : "they"} finished.`,
      evidence: [
        { what: "tasks lost", value: lost.length, source: "events" as const },
        {
          what: "task ids",
          value: listed(
            lost.map((t) => t.id),
            10,
          ),
          source: "events" as const,
        },
        { what: "last lost at", value: iso(last), at: last, source: "events" as const },
      ],
      action:
        "Check whether they ran (their side effects) and send them again if not; with task_acks_late and task_reject_on_worker_lost the broker redelivers such tasks itself.",
    };
  });
}

function runningLongFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const w of snap.workers) {
    for (const t of w.running) {
      const typical = t.name === null ? undefined : snap.typicalRuntime[t.name];
      if (typical === undefined || t.started === null) continue;
      const ranMs = snap.now - t.started;
      if (ranMs <= Math.max(LONG_FACTOR * typical * 1000, typical * 1000 + snap.thresholds.stuckAfterMs)) continue;
      out.push({
        kind: "task_running_long",
        severity: "warning",
        subject: { type: "task", id: t.id },
        sentence: `Task ${t.id} (${t.name}) has run on ${w.name} for ${duration(ranMs)}, where this task usually takes ${typical} s (p95): it may be stuck.`,
        evidence: [
          { what: "started at", value: iso(t.started), at: t.started, source: "events" },
          { what: "running for (s)", value: Math.round(ranMs / 1000), at: snap.now, source: "events" },
          { what: "usual runtime, p95 (s)", value: typical, source: "events" },
          { what: "worker", value: w.name, source: "events" },
        ],
        action: "Look at what it waits on (a lock, a network call without a timeout); set soft_time_limit / time_limit on the task so a stuck run ends.",
      });
    }
  }
  return out;
}

function silentBusyFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const w of snap.workers) {
    if (!w.busy) continue;
    for (const t of w.running) {
      const s = suspectRun(t, snap.now, (name) => snap.typicalRuntime[name] ?? null, snap.thresholds.stuckAfterMs);
      if (!s) continue;
      out.push({
        kind: "worker_silent_busy",
        severity: "warning",
        subject: { type: "worker", id: w.name },
        sentence: `${w.name} has been silent while running ${t.name} (${t.id}) for ${duration(s.busyMs)}, where this task usually takes ${s.typical} s (p95): a solo worker sends no heartbeat while it runs a task, but one this late may be dead.`,
        evidence: [
          { what: "running task", value: t.id, source: "events" },
          { what: "running for (s)", value: Math.round(s.busyMs / 1000), at: snap.now, source: "events" },
          { what: "usual runtime, p95 (s)", value: s.typical, source: "events" },
          { what: "last heard", value: w.lastHeard === null ? null : iso(w.lastHeard), ...(w.lastHeard !== null && { at: w.lastHeard }), source: "events" },
        ],
        action:
          "Check the worker's process on its host; a prefork pool keeps heartbeating while busy, so a solo worker cannot be told from a dead one otherwise.",
      });
      break;
    }
  }
  return out;
}
