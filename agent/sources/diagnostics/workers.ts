/** Workers: offline (since when), restarted (a new pid under the same name), a clock off by more than a second. */
import type { Finding } from "./finding";
import { duration, iso } from "./finding";
import type { DiagnosticSnapshot } from "./snapshot";

/** A restart is news for this long. */
export const RESTART_NEWS_MS = 15 * 60_000;
/** Beyond this skew (s), times a worker reports are corrected, and said to be. */
export const SKEW_LIMIT_S = 1;

export function workerFindings(snap: DiagnosticSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const w of snap.workers) {
    const subject = { type: "worker" as const, id: w.name };
    // A binding never heard from may be a leftover of a long-gone worker: not worth a warning.
    if (w.status === "offline" && w.heard) {
      const since = w.offlineAt ?? w.lastHeard;
      out.push({
        kind: "worker_offline",
        severity: "warning",
        subject,
        sentence: `${w.name} is offline${since === null ? "" : ` since ${iso(since)} (${duration(snap.now - since)})`}: ${w.detail ?? "no heartbeat"}.`,
        evidence: [
          {
            what: w.offlineAt !== null ? "worker-offline received" : "last heard",
            value: since === null ? null : iso(since),
            ...(since !== null && { at: since }),
            source: "events",
          },
          ...(w.queues?.length ? [{ what: "queues it consumed", value: w.queues.join(", "), source: "inspect" as const }] : []),
        ],
        action:
          w.offlineAt !== null
            ? "It shut down on purpose (warm shutdown): start it again if it should run."
            : "It stopped heartbeating without saying goodbye (killed, out of memory, host down, or its broker connection lost): check its host and logs.",
      });
    }
    if (w.restartedAt !== null && snap.now - w.restartedAt <= RESTART_NEWS_MS) {
      out.push({
        kind: "worker_restarted",
        severity: "info",
        subject,
        sentence: `${w.name} restarted ${duration(snap.now - w.restartedAt)} ago (a new process, pid ${w.pid ?? "unknown"}): the tasks the old one held and had not finished are marked LOST.`,
        evidence: [
          { what: "new pid", value: w.pid, at: w.restartedAt, source: "events" },
          { what: "restarted at", value: iso(w.restartedAt), at: w.restartedAt, source: "events" },
        ],
        action: "If nobody restarted it, look for why it died (max_tasks_per_child or memory limits restart pool processes, not the worker).",
      });
    }
    if (w.clockSkew !== null && Math.abs(w.clockSkew) > SKEW_LIMIT_S && w.status === "online") {
      out.push({
        kind: "worker_clock_skew",
        severity: "warning",
        subject,
        sentence: `${w.name}'s clock is ${Math.abs(w.clockSkew)} s ${w.clockSkew > 0 ? "ahead of" : "behind"} the agent's: the times it reports are corrected, but ETAs, expiry and time limits run on its own clock.`,
        evidence: [{ what: "clock skew (s)", value: w.clockSkew, at: snap.now, source: "events" }],
        action: "Synchronise the host's clock (NTP: chrony or systemd-timesyncd).",
      });
    }
  }
  return out;
}
