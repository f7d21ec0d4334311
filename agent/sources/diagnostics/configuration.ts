/**
 * Settings known to bite, each with the reason Celery's documentation gives: acks_late without
 * reject_on_worker_lost, pickle accepted, a result_expires shorter than the history the agent holds;
 * and the visibility_timeout in force (Redis, SQS), which redelivery.ts reads: an ETA task waiting
 * past it is said there, once, with the setting as evidence (a finding of the setting here as well
 * told the same task's risk twice). Read from the online workers' conf: a worker gone (replaced
 * under another name, with its settings fixed) no longer bites.
 */
import { parseTimedelta } from "../periodic/schedule-repr";
import type { Finding } from "./finding";
import { duration, iso, listed } from "./finding";
import type { DiagnosticSnapshot, WorkerFacts } from "./snapshot";

/** kombu's Redis transport's default visibility_timeout, in seconds. */
export const DEFAULT_VISIBILITY_TIMEOUT_S = 3600;
/** Brokers that redeliver an unacknowledged message after visibility_timeout. */
export const VISIBILITY_BROKERS = new Set(["redis", "sqs"]);
const PICKLE = new Set(["pickle", "application/x-python-serialize"]);

const deployment = (setting: string) => ({ type: "deployment" as const, id: setting });
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const record = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

function workersWhere(snap: DiagnosticSnapshot, test: (conf: Record<string, unknown>) => boolean): string[] {
  return snap.workers
    .filter((w): w is WorkerFacts & { conf: Record<string, unknown> } => w.status === "online" && w.conf !== null && test(w.conf))
    .map((w) => w.name);
}

/**
 * result_expires in seconds as a conf reply gives it: a number, or str(timedelta) ("1 day, 0:00:00",
 * Celery's default); null when results never expire (None, 0) or the value cannot be read.
 */
export function resultExpiresSeconds(value: unknown): number | null {
  const seconds = typeof value === "string" ? parseTimedelta(value) : num(value);
  return seconds !== null && seconds > 0 ? seconds : null;
}

/** The visibility_timeout in force (s) and where it was read. */
export function visibilityTimeout(snap: DiagnosticSnapshot): { seconds: number; from: string } {
  for (const w of snap.workers) {
    const v = num(record(w.conf?.broker_transport_options)?.visibility_timeout);
    if (v !== null) return { seconds: v, from: `broker_transport_options of ${w.name}` };
  }
  const own = num(snap.agentTransportOptions.visibility_timeout);
  if (own !== null) return { seconds: own, from: "the agent's --transport-options" };
  return { seconds: DEFAULT_VISIBILITY_TIMEOUT_S, from: "kombu's default" };
}

export function configurationFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  const acksLate = workersWhere(snap, (c) => c.task_acks_late === true && c.task_reject_on_worker_lost !== true);
  if (acksLate.length) {
    out.push({
      kind: "acks_late_without_reject_on_worker_lost",
      severity: "warning",
      subject: deployment("task_acks_late"),
      sentence: `${listed(acksLate)} acknowledge${acksLate.length === 1 ? "s" : ""} tasks late but without task_reject_on_worker_lost: a task whose pool process is killed (OOM, time limit) is acknowledged as failed, not redelivered, which defeats acks_late for long tasks.`,
      evidence: [
        { what: "task_acks_late", value: true, source: "configuration" },
        { what: "task_reject_on_worker_lost", value: false, source: "configuration" },
        { what: "workers", value: listed(acksLate, 10), source: "inspect" },
      ],
      action: "Set task_reject_on_worker_lost = True with task_acks_late, and make the tasks idempotent (they may run twice).",
    });
  }
  const pickle = workersWhere(snap, (c) => Array.isArray(c.accept_content) && c.accept_content.some((x) => PICKLE.has(String(x))));
  if (pickle.length) {
    out.push({
      kind: "pickle_accepted",
      severity: "warning",
      subject: deployment("accept_content"),
      sentence: `${listed(pickle)} accept${pickle.length === 1 ? "s" : ""} pickled messages: anyone who can write to the broker can run code on the worker.`,
      evidence: [
        { what: "accept_content includes pickle", value: true, source: "configuration" },
        { what: "workers", value: listed(pickle, 10), source: "inspect" },
      ],
      action: "Use accept_content = ['json'] (and task_serializer / result_serializer 'json'), or sign messages (the auth serializer).",
    });
  }
  const expiry = resultExpiryFinding(snap);
  if (expiry) out.push(expiry);
  return out;
}

/**
 * The backend deletes a result result_expires after it was stored: tasks the agent holds from
 * longer ago than that are listed with results the backend no longer has (AsyncResult says PENDING).
 */
function resultExpiryFinding(snap: DiagnosticSnapshot): Finding | null {
  if (snap.oldestHeld === null) return null;
  const expiring = snap.workers.flatMap((w) => {
    const seconds = w.status === "online" ? resultExpiresSeconds(w.conf?.result_expires) : null;
    return seconds === null ? [] : [{ name: w.name, seconds }];
  });
  if (!expiring.length) return null;
  const seconds = Math.min(...expiring.map((x) => x.seconds));
  const workers = expiring.filter((x) => x.seconds === seconds).map((x) => x.name);
  const heldMs = snap.now - snap.oldestHeld;
  if (heldMs <= seconds * 1000) return null;
  return {
    kind: "result_expires_shorter_than_history",
    severity: "info",
    subject: deployment("result_expires"),
    sentence: `The agent holds tasks from ${duration(heldMs)} ago, but results expire after ${duration(seconds * 1000)} (result_expires of ${listed(workers)}): the backend has deleted the results of the older ones, which the agent still lists from what it heard.`,
    evidence: [
      { what: "result_expires (s)", value: seconds, source: "configuration" },
      { what: "workers", value: listed(workers, 10), source: "inspect" },
      { what: "oldest task held", value: iso(snap.oldestHeld), at: snap.oldestHeld, source: "events" },
    ],
    action:
      "Raise result_expires to cover the history you look back on (None keeps results for ever; the backend then grows), or read results only for recent tasks.",
  };
}
