/**
 * Events off or partial: what the views cannot show when workers send no task events, senders no
 * task-sent events, or the backend no STARTED state.
 */
import type { Finding } from "./finding";
import { iso, listed } from "./finding";
import type { DiagnosticSnapshot, WorkerFacts } from "./snapshot";

/** A setting's value as the workers report it: the same on all that say, else null (unknown or mixed). */
export function settingOf(workers: readonly WorkerFacts[], key: string): unknown {
  const values = new Set<string>();
  let value: unknown = null;
  for (const w of workers) {
    if (!w.conf || !(key in w.conf)) continue;
    value = w.conf[key];
    values.add(JSON.stringify(value));
  }
  return values.size === 1 ? value : null;
}

/** Tasks received with no task-sent event seen, beyond a few sent before the agent started: senders have it off. */
export const RECEIVED_WITHOUT_SENT = 5;

export function eventFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const w of snap.workers) {
    if (w.sendsTaskEvents || !w.resultsWithoutEvents || w.status !== "online") continue;
    const r = w.resultsWithoutEvents;
    out.push({
      kind: "worker_no_task_events",
      severity: "problem",
      subject: { type: "worker", id: w.name },
      sentence: `${w.name} stores results (${r.count} seen) but sends no task events: its tasks appear only when they finish, with no received or started time, runtime or queue wait, and a task it loses is never marked LOST.`,
      evidence: [
        { what: "results stored without a task event", value: r.count, at: r.last, source: "result_backend" },
        { what: "task events from the worker", value: 0, source: "events" },
        ...(w.conf && "worker_send_task_events" in w.conf
          ? [{ what: "worker_send_task_events", value: Boolean(w.conf.worker_send_task_events), source: "configuration" as const }]
          : []),
      ],
      action: "Start the worker with -E (or set worker_send_task_events = True), or turn events on now with celery control enable_events.",
    });
  }
  // The settings of workers online now: one gone (replaced, its settings fixed) says nothing any more.
  const known = snap.workers.filter((w) => w.conf && w.status === "online");
  const sentSetting = settingOf(known, "task_send_sent_event");
  // The workers' setting covers what they send themselves (subtasks); the web processes that send
  // most tasks are often configured apart. Tasks received with no task-sent event from anyone say
  // their senders have it off, whatever the workers' conf says.
  if (!snap.sentEventsFrom.length && (sentSetting === false || snap.tasksReceived >= RECEIVED_WITHOUT_SENT)) {
    const received = snap.tasksReceived;
    out.push({
      kind: "sent_events_off",
      severity: "info",
      subject: { type: "deployment", id: "task_send_sent_event" },
      sentence: `${
        sentSetting === false
          ? "task_send_sent_event is off and no task-sent event has arrived"
          : `No task-sent event has arrived though workers received ${received} tasks: whatever sends them has task_send_sent_event off`
      }. The agent learns of a task only when a worker receives it, so time spent waiting in a queue cannot be measured and a task sent to a queue nobody consumes is not seen.`,
      evidence: [
        ...(sentSetting !== null ? [{ what: "task_send_sent_event (workers)", value: Boolean(sentSetting), source: "configuration" as const }] : []),
        { what: "task-received events seen", value: received, source: "events" },
        { what: "task-sent events seen", value: 0, source: "events" },
      ],
      action: "Set task_send_sent_event = True in the configuration of whatever sends tasks (web processes, beat), not only the workers'.",
    });
  }
  if (settingOf(known, "task_track_started") === false) {
    const silent = snap.workers.filter((w) => w.status === "online" && !w.sendsTaskEvents).map((w) => w.name);
    out.push({
      kind: "track_started_off",
      severity: "info",
      subject: { type: "deployment", id: "task_track_started" },
      sentence: `task_track_started is off: the result backend never says STARTED, so a running task reads PENDING there${silent.length ? ` (and ${listed(silent)} sends no task-started event either)` : "; the events still say when tasks start"}.`,
      evidence: [
        { what: "task_track_started", value: false, source: "configuration" },
        { what: "as of", value: iso(snap.now), source: "inspect" },
      ],
      action: "Set task_track_started = True if anything reads task states from the result backend.",
    });
  }
  return out;
}
