/** The task rows table, used by the tasks list, the overview and the queue detail. */
import { useContext } from "preact/hooks";
import type { TaskRow } from "../../../agent/api/schema";
import { StateBadge } from "../../components/badges";
import { Table, type Column, type TableProps } from "../../components/Table";
import { formatDuration, formatRelative, formatTimestamp, isHidden, NONE, shortId } from "../../shared/format";
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
  const full = formatTimestamp(at);
  return <span title={full}>{lastKnown === null ? formatRelative(at, now) : `at ${full.slice(11)}`}</span>;
}

export function WorkerLink({ name }: { name: string | null }) {
  return name ? <a href={href({ view: "worker", name })}>{name}</a> : <span class="dim">{NONE}</span>;
}

export function QueueLink({ name }: { name: string | null }) {
  return name ? <a href={href({ view: "queue", name })}>{name}</a> : <span class="dim">{NONE}</span>;
}

export const TASK_COLUMNS: readonly Column<TaskRow>[] = [
  { label: "ID", render: (t) => <TaskLink id={t.id} /> },
  { label: "Name", render: (t) => t.name ?? <span class="dim">unknown</span>, className: "truncate" },
  { label: "State", render: (t) => <StateBadge state={t.state} lost={t.lost} /> },
  {
    label: "Args",
    render: (t) => (isHidden(t.args) ? <Payload value={t.args} /> : <span class="mono" title={[t.args, isHidden(t.kwargs) ? null : t.kwargs].filter(Boolean).join(" ")}>{t.args ?? NONE}</span>),
    className: "truncate",
  },
  { label: "Received", render: (t) => <Time at={t.received ?? t.sent} />, sortKey: "received", className: "nowrap" },
  { label: "Runtime", render: (t) => formatDuration(t.runtime), sortKey: "runtime", className: "num nowrap" },
  { label: "Worker", render: (t) => <WorkerLink name={t.worker} />, className: "truncate" },
  { label: "Queue", render: (t) => <QueueLink name={t.queue} /> },
];

export function TaskTable({ tasks, empty, sort }: { tasks: readonly TaskRow[]; empty: string; sort?: TableProps<TaskRow>["sort"] }) {
  return <Table label="Tasks" columns={TASK_COLUMNS} rows={tasks} rowKey={(t) => t.id} empty={empty} sort={sort} />;
}
