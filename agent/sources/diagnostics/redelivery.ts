/**
 * Redelivery risk (Redis, SQS): the broker hands a message to another consumer once it has been
 * unacknowledged longer than `visibility_timeout`. A message delivered that long ago, or an ETA task
 * that will wait longer than that before it runs, will be delivered again and run twice. The one
 * finding of that risk: it carries the setting in force and where it was read (configuration.ts
 * makes no finding of the setting itself), per queue, naming the tasks.
 */
import { visibilityTimeout, VISIBILITY_BROKERS } from "./configuration";
import type { Evidence, Finding } from "./finding";
import { duration, iso, listed } from "./finding";
import type { DiagnosticSnapshot } from "./snapshot";

/** Where ETA tasks of no known queue are grouped: said of the deployment, not of a queue. */
const UNKNOWN_QUEUE = "";

interface AtRisk {
  /** Unacknowledged messages older than the timeout, and the oldest delivery (ms). */
  unacked: { count: number; oldest: number } | null;
  /** ETA tasks whose wait from delivery to due time exceeds the timeout: id and wait (ms). */
  eta: { id: string; waitMs: number }[];
}

export function redeliveryFindings(snap: DiagnosticSnapshot): Finding[] {
  if (!VISIBILITY_BROKERS.has(snap.brokerKind)) return [];
  const vt = visibilityTimeout(snap);
  const limitMs = vt.seconds * 1000;
  const byQueue = new Map<string, AtRisk>();
  const entry = (q: string) => {
    let e = byQueue.get(q);
    if (!e) {
      e = { unacked: null, eta: [] };
      byQueue.set(q, e);
    }
    return e;
  };
  for (const u of snap.unacked?.queues ?? []) {
    if (u.oldest !== null && snap.now - u.oldest > limitMs) entry(u.queue).unacked = { count: u.count, oldest: u.oldest };
  }
  for (const t of snap.waitingTasks) {
    const due = t.eta === null ? Number.NaN : Date.parse(t.eta);
    if (!Number.isFinite(due)) continue;
    // Delivered when a worker received it; a task not received yet will be delivered no earlier than now.
    const waitMs = due - (t.received ?? Math.max(snap.now, t.sent ?? t.firstSeen));
    if (waitMs > limitMs) entry(t.queue ?? t.waiting?.queue ?? UNKNOWN_QUEUE).eta.push({ id: t.id, waitMs });
  }
  const out: Finding[] = [];
  for (const [queue, risk] of [...byQueue].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parts: string[] = [];
    const evidence: Evidence[] = [
      { what: "visibility_timeout (s)", value: vt.seconds, source: "configuration" },
      { what: "visibility_timeout read from", value: vt.from, source: "configuration" },
    ];
    if (risk.unacked) {
      const age = snap.now - risk.unacked.oldest;
      parts.push(`${risk.unacked.count} unacknowledged message${risk.unacked.count === 1 ? "" : "s"}, the oldest delivered ${duration(age)} ago`);
      evidence.push(
        { what: "unacknowledged messages", value: risk.unacked.count, at: snap.now, source: "broker" },
        { what: "oldest delivered at", value: iso(risk.unacked.oldest), at: risk.unacked.oldest, source: "broker" },
        { what: "oldest unacknowledged for (s)", value: Math.round(age / 1000), at: snap.now, source: "broker" },
      );
    }
    if (risk.eta.length) {
      risk.eta.sort((a, b) => b.waitMs - a.waitMs);
      parts.push(
        `${risk.eta.length} ETA task${risk.eta.length === 1 ? "" : "s"} (${listed(risk.eta.map((t) => t.id))}) waiting up to ${duration(risk.eta[0]!.waitMs)} before due`,
      );
      evidence.push(
        {
          what: "ETA tasks past the timeout",
          value: listed(
            risk.eta.map((t) => t.id),
            10,
          ),
          source: "events",
        },
        { what: "longest wait before due (s)", value: Math.round(risk.eta[0]!.waitMs / 1000), source: "events" },
      );
    }
    out.push({
      kind: "redelivery_risk",
      severity: "problem",
      subject: queue === UNKNOWN_QUEUE ? { type: "deployment", id: "visibility_timeout" } : { type: "queue", id: queue },
      sentence: `${queue === UNKNOWN_QUEUE ? "In a queue not known" : `Queue ${queue}`}: ${parts.join(" and ")}, longer than the visibility_timeout of ${vt.seconds} s: they will be delivered again and run twice.`,
      evidence,
      action:
        "Raise broker_transport_options['visibility_timeout'] above the longest ETA/countdown and the longest task (with acks_late) in use, on workers and producers alike; make the tasks idempotent.",
    });
  }
  return out;
}
