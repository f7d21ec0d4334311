/** Queues that do not drain: messages in them, and no online worker consuming them. */
import type { Finding } from "./finding";
import { listed } from "./finding";
import { consumersOf, type DiagnosticSnapshot } from "./snapshot";

export function queueFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const q of snap.queues) {
    if (!q.messages) continue;
    const { consumers, complete } = consumersOf(snap, q.name);
    if (consumers.length || !complete) continue;
    // Workers that consumed it once and are offline now: the likely reason.
    const gone = snap.workers.filter((w) => w.status === "offline" && w.queues?.includes(q.name)).map((w) => w.name);
    out.push({
      kind: "queue_no_consumer",
      severity: "problem",
      subject: { type: "queue", id: q.name },
      sentence: `Queue ${q.name} holds ${q.messages} message${q.messages === 1 ? "" : "s"} and no online worker consumes it: it will not drain${gone.length ? ` (${listed(gone)}, which consumed it, ${gone.length === 1 ? "is" : "are"} offline)` : ""}.`,
      evidence: [
        { what: "messages", value: q.messages, at: snap.now, source: "broker" },
        { what: "consumers online", value: 0, at: snap.now, source: "inspect" },
        { what: "workers online", value: snap.workers.filter((w) => w.status === "online").length, at: snap.now, source: "events" },
        ...(gone.length ? [{ what: "offline consumers", value: listed(gone), source: "inspect" as const }] : []),
      ],
      action: `Start a worker that consumes it (celery worker -Q ${q.name}), or add it to a running worker (celery control add_consumer ${q.name}).`,
    });
  }
  return out;
}
