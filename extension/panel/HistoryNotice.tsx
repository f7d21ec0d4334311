/**
 * Above every view while the agent cannot write its task history (a full disk, a file it may not
 * write): the live views are right, but what happens now is not being kept.
 */
import { formatCount } from "../shared/format";
import { usePanel, useLiveStatus } from "./live";

export function HistoryNotice() {
  // Re-rendered with each health the stream brings.
  useLiveStatus();
  const history = usePanel().live.health?.history;
  if (history?.state !== "failed") return null;
  return (
    <div class="notice degraded-notice" role="status" data-history-failed>
      Task history not written: {history.error ?? "unknown error"}
      {history.path ? ` (${history.path})` : ""}. The live views are right;{" "}
      {history.pending > 0
        ? `${formatCount(history.pending)} changed tasks wait in memory and are written once writes succeed again.`
        : "nothing new is kept on disk meanwhile."}
    </div>
  );
}
