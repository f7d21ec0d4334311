/**
 * The "why" box: the findings whose subject a detail view shows. A task's are asked of
 * `tasks/:id/why` (what keeps it waiting, or, for an id the agent does not know, what the evidence
 * allows); a queue's and a worker's come in their detail response. Shows nothing without findings.
 */
import type { FindingView } from "../../../agent/api/schema";
import { useResource } from "../use-resource";
import { FindingItems } from "./ProblemsView";

export function WhyBox({ id }: { id: string }) {
  const why = useResource((client, signal) => client.get("taskWhy", { params: { id }, signal }), [id], {
    refreshOn: (e) => (e.type === "task" && e.data.id === id) || e.type === "findings",
    minIntervalMs: 2000,
  });
  return <FindingsBox subject={id} findings={why.data?.findings} />;
}

export function FindingsBox({ subject, findings }: { subject: string; findings: FindingView[] | undefined }) {
  if (!findings?.length) return null;
  return (
    <div class="why-box" data-why={subject}>
      <h2>Why</h2>
      <FindingItems findings={findings} empty="" />
    </div>
  );
}
