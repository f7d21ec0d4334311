/**
 * The "why" box of a task (`tasks/:id/why`): what keeps it waiting, or, for an id the agent does
 * not know, what the evidence allows. Shows nothing while the task waits for nothing.
 */
import { useResource } from "../use-resource";
import { FindingItems } from "./ProblemsView";

export function WhyBox({ id }: { id: string }) {
  const why = useResource((client, signal) => client.get("taskWhy", { params: { id }, signal }), [id], {
    refreshOn: (e) => (e.type === "task" && e.data.id === id) || e.type === "findings",
    minIntervalMs: 2000,
  });
  const findings = why.data?.findings ?? [];
  if (!findings.length) return null;
  return (
    <div class="why-box" data-why={id}>
      <h2>Why</h2>
      <FindingItems findings={findings} empty="" />
    </div>
  );
}
