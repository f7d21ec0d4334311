/** Periodic tasks: name, task, human-readable schedule, kind, next and last run, enabled, arguments. */
import type { Hidden, PeriodicTask } from "../../../agent/api/schema";
import { Payload } from "../../components/Payload";
import { Badge, type Tone } from "../../components/badges";
import { Table, type Column } from "../../components/Table";
import { formatCount, formatJson, isHidden, NONE } from "../../shared/format";
import { DataView } from "../ResourceView";
import { href } from "../router";
import { Time } from "../tasks/TaskTable";
import { useResource } from "../use-resource";

const KIND_TONES: Record<PeriodicTask["schedule_kind"], Tone> = { interval: "info", crontab: "ok", solar: "warn", clocked: "muted", unknown: "bad" };

function argsLabel(task: PeriodicTask): string {
  const parts = [task.args, task.kwargs]
    .filter((v) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0))
    .map((v) => formatJson(v).replace(/\s+/g, " "));
  return parts.join(" ") || NONE;
}

const COLUMNS: readonly Column<PeriodicTask>[] = [
  { label: "Name", render: (p) => <strong>{p.name}</strong> },
  { label: "Task", render: (p) => <a href={href({ view: "tasks", filters: { name: p.task } })}>{p.task}</a> },
  {
    label: "Schedule",
    render: (p) => (
      <span title={p.schedule_raw}>
        {p.schedule}
        {p.error ? <div class="bad-text">{p.error}</div> : null}
      </span>
    ),
  },
  { label: "Kind", render: (p) => <Badge tone={KIND_TONES[p.schedule_kind]}>{p.schedule_kind}</Badge> },
  { label: "Next run", render: (p) => <Time at={p.next_run} />, className: "nowrap" },
  { label: "Last run", render: (p) => <Time at={p.last_run} />, className: "nowrap" },
  { label: "Runs", render: (p) => formatCount(p.total_run_count), className: "num" },
  { label: "Enabled", render: (p) => (p.enabled === null ? <span class="dim">unknown</span> : p.enabled ? <Badge tone="ok">yes</Badge> : <Badge tone="muted">no</Badge>) },
  {
    label: "Args",
    render: (p) => (isHidden(p.args) || isHidden(p.kwargs) ? <Payload value={isHidden(p.args) ? p.args : (p.kwargs as Hidden)} /> : <span class="mono">{argsLabel(p)}</span>),
    className: "truncate",
  },
];

export function PeriodicView() {
  const periodic = useResource((client, signal) => client.get("periodicTasks", { signal }), []);
  return (
    <DataView name="periodic" heading="Periodic tasks" resource={periodic} what="periodic tasks" tools={<button type="button" onClick={periodic.refresh}>Reload</button>}>
      {(data) => (
        <>
          <div class="dim">Times in the schedule's time zone: {data.timezone}</div>
          <Table label="Periodic tasks" columns={COLUMNS} rows={data.periodic_tasks} rowKey={(p) => p.name} empty="No periodic task: no beat_schedule and no RedBeat entry found." />
        </>
      )}
    </DataView>
  );
}
