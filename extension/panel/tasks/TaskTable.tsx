/** The task rows table, used by the tasks list, the overview and the queue detail. */
import { useContext } from "preact/hooks";
import type { TaskRow } from "../../../agent/api/schema";
import { TaskStateCell } from "../../components/badges";
import { Table, type Column, type TableProps } from "../../components/Table";
import { formatDuration, formatIso, formatRelative, formatTimestamp, isHidden, NONE, shortId } from "../../shared/format";
import { Payload } from "../../components/Payload";
import { LastKnownAt, useNow } from "../../components/use-live-statuses";
import { href } from "../router";

export function TaskLink({ id }: { id: string }) {
  return (
    <a class="mono" href={href({ view: "task", id })} title={id}>
      {shortId(id)}
    </a>
  );
}

/** A moment, relative to now (and moving on with it); in last-known data, its clock time. */
export function Time({ at }: { at: string | null }) {
  const now = useNow(5000);
  const lastKnown = useContext(LastKnownAt);
  if (!at) return <span class="dim">{NONE}</span>;
  return <span title={formatIso(at)}>{lastKnown === null ? formatRelative(at, now) : `at ${formatTimestamp(at).slice(11)}`}</span>;
}

export function WorkerLink({ name }: { name: string | null }) {
  return name ? <a href={href({ view: "worker", name })}>{name}</a> : <span class="dim">{NONE}</span>;
}

export function QueueLink({ name }: { name: string | null }) {
  return name ? <a href={href({ view: "queue", name })}>{name}</a> : <span class="dim">{NONE}</span>;
}

const QUEUE_INFERENCE = {
  delivery_info: "inferred by the agent from the routing key the worker reported for this message (inspect active/reserved/scheduled)",
  worker_queues: "inferred by the agent: the worker that received this task consumes only this queue",
} as const;

/** A task's queue; one the agent inferred (no source named it) in italics, saying how. */
export function TaskQueue({ task }: { task: Pick<TaskRow, "queue" | "queue_source" | "queue_inferred"> }) {
  const how = task.queue_inferred && task.queue_source ? QUEUE_INFERENCE[task.queue_source as keyof typeof QUEUE_INFERENCE] : undefined;
  if (!task.queue || !task.queue_inferred) return <QueueLink name={task.queue} />;
  return (
    <em class="inferred" title={`Queue ${how ?? "inferred by the agent"}; no task-sent event (task_send_sent_event) or result_extended record named it`}>
      <QueueLink name={task.queue} />
    </em>
  );
}

export const TASK_COLUMNS: readonly Column<TaskRow>[] = [
  { label: "ID", render: (t) => <TaskLink id={t.id} /> },
  {
    label: "Name",
    render: (t) =>
      t.name ??
      (t.note ? (
        <span class="dim result-only" title={t.note}>
          unknown: result only
        </span>
      ) : (
        <span class="dim">unknown</span>
      )),
    className: "truncate",
  },
  { label: "State", render: (t) => <TaskStateCell task={t} when={(at) => <Time at={at} />} />, className: "nowrap" },
  {
    label: "Args",
    render: (t) =>
      isHidden(t.args) ? (
        <Payload value={t.args} />
      ) : (
        <span class="mono" title={[t.args, isHidden(t.kwargs) ? null : t.kwargs].filter(Boolean).join(" ")}>
          {t.args ?? NONE}
        </span>
      ),
    className: "truncate",
  },
  { label: "Received", render: (t) => <Time at={t.received ?? t.sent} />, sortKey: "received", className: "nowrap" },
  { label: "Runtime", render: (t) => formatDuration(t.runtime), sortKey: "runtime", className: "num nowrap" },
  { label: "Worker", render: (t) => <WorkerLink name={t.worker} />, className: "truncate" },
  { label: "Queue", render: (t) => <TaskQueue task={t} /> },
];

export function TaskTable({
  tasks,
  empty,
  sort,
  label = "Tasks",
}: {
  tasks: readonly TaskRow[];
  empty: string;
  sort?: TableProps<TaskRow>["sort"];
  label?: string;
}) {
  return <Table label={label} columns={TASK_COLUMNS} rows={tasks} rowKey={(t) => t.id} empty={empty} sort={sort} />;
}

/** A queue's waiting messages, next first: position and priority lead. */
const WAITING_COLUMNS: readonly Column<TaskRow>[] = [
  { label: "#", render: (t) => t.waiting?.position ?? NONE, className: "num" },
  { label: "Priority", render: (t) => t.waiting?.priority ?? NONE, className: "num" },
  ...TASK_COLUMNS.filter((c) => c.label === "ID" || c.label === "Name" || c.label === "Args"),
  { label: "ETA", render: (t) => <Time at={t.eta ?? null} />, className: "nowrap" },
];

export function WaitingTable({ tasks, empty }: { tasks: readonly TaskRow[]; empty: string }) {
  return <Table label="Waiting messages" columns={WAITING_COLUMNS} rows={tasks} rowKey={(t) => t.id} empty={empty} />;
}
