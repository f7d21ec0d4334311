/**
 * Periodic tasks: name, task, human-readable schedule, kind, next and last run (and where the last
 * run comes from), enabled, arguments; above them, whether beat looks alive.
 */
import type { BeatCheck, Hidden, PeriodicTask } from "../../../agent/api/schema";
import { Payload } from "../../components/Payload";
import { Badge, type Tone } from "../../components/badges";
import { Table, type Column } from "../../components/Table";
import { formatCount, formatJson, isHidden, NONE } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { FindingsBox } from "../problems/WhyBox";
import { href } from "../router";
import { TaskLink, Time } from "../tasks/TaskTable";
import { useResource } from "../use-resource";

const KIND_TONES: Record<PeriodicTask["schedule_kind"], Tone> = { interval: "info", crontab: "ok", solar: "warn", clocked: "muted", unknown: "bad" };
const BEAT_TONES: Record<BeatCheck["status"], Tone> = { alive: "ok", late: "bad", unknown: "muted" };

/** Whether beat looks alive, and why. */
function BeatLine({ beat }: { beat: BeatCheck }) {
  return (
    <div data-beat={beat.status}>
      beat{" "}
      <Badge tone={BEAT_TONES[beat.status]} title="judged from the entries' expected and observed runs">
        {beat.status}
      </Badge>{" "}
      <span class="dim">{beat.detail}</span>
    </div>
  );
}

function NextRun({ p }: { p: PeriodicTask }) {
  if (!p.missed_run) return <Time at={p.next_run} />;
  return (
    <>
      <Time at={p.next_run} />{" "}
      <Badge tone="bad" title={`due ${p.missed_run}: no run seen since (past the tolerance)`}>
        missed
      </Badge>
    </>
  );
}

function LastRun({ p }: { p: PeriodicTask }) {
  if (p.last_run_source !== "tasks seen") return <Time at={p.last_run} />;
  return (
    <>
      <Time at={p.last_run} />
      <div class="dim" title="beat's own store of last runs is not readable: the latest task of this entry's name and arguments the agent saw">
        from tasks seen
        {p.last_task_id ? (
          <>
            {" "}
            (<TaskLink id={p.last_task_id} />)
          </>
        ) : null}
      </div>
    </>
  );
}

function argsLabel(task: PeriodicTask): string {
  const parts = [task.args, task.kwargs]
    .filter(
      (v) =>
        v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0),
    )
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
  { label: "Next run", render: (p) => <NextRun p={p} />, className: "nowrap" },
  { label: "Last run", render: (p) => <LastRun p={p} />, className: "nowrap" },
  {
    label: "Runs",
    render: (p) => (
      <span title={p.last_run_source === "tasks seen" ? "runs seen by the agent (among the tasks it holds)" : undefined}>{formatCount(p.total_run_count)}</span>
    ),
    className: "num",
  },
  {
    label: "Enabled",
    render: (p) => (p.enabled === null ? <span class="dim">unknown</span> : p.enabled ? <Badge tone="ok">yes</Badge> : <Badge tone="muted">no</Badge>),
  },
  {
    label: "Args",
    render: (p) =>
      isHidden(p.args) || isHidden(p.kwargs) ? <Payload value={isHidden(p.args) ? p.args : (p.kwargs as Hidden)} /> : <span class="mono">{argsLabel(p)}</span>,
    className: "truncate",
  },
];

export function PeriodicView() {
  const periodic = useResource((client, signal) => client.get("periodicTasks", { signal }), []);
  return (
    <PanelView name="periodic" heading="Periodic tasks" resource={periodic} what="periodic tasks" reload>
      {(data) => (
        <>
          <FindingsBox subject="periodic" findings={data.findings} />
          {data.beat ? <BeatLine beat={data.beat} /> : null}
          <div class="dim">Times in the schedule's time zone: {data.timezone}</div>
          <Table
            label="Periodic tasks"
            columns={COLUMNS}
            rows={data.periodic_tasks}
            rowKey={(p) => p.name}
            empty="No periodic task: no beat_schedule and no RedBeat entry found."
          />
        </>
      )}
    </PanelView>
  );
}
