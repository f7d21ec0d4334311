/** Failures grouped by exception type and normalised message, over a window; each group opens its failed tasks. */
import { plural } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { windowLabel } from "../metrics/charts";
import { useMetrics } from "../metrics/use-metrics";
import { useWindowSelect } from "../metrics/WindowSelect";
import { TasksTabs } from "../tasks/TasksTabs";
import { FailureGroups } from "./FailureGroups";

export function FailuresView() {
  const [window, windowSelect] = useWindowSelect();
  const failures = useMetrics("failures", { window });
  return (
    <PanelView name="failures" heading="Tasks" resource={failures} what="failures" tools={[<TasksTabs key="tabs" current="failures" />, windowSelect]}>
      {(data) => (
        <>
          <h2>
            {plural(data.total, "failure")} in {plural(data.groups.length, "group")}, {windowLabel(data.window_seconds)}
          </h2>
          <FailureGroups groups={data.groups} empty="No task failed in this window." />
          <p class="dim">
            A group: one exception type, its messages alike once numbers, ids, quoted values and paths are taken out (shown as &lt;num&gt;, &lt;uuid&gt;…).
          </p>
        </>
      )}
    </PanelView>
  );
}
