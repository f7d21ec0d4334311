/** Queues: exchange and type, routing key, bindings, durability, priorities, depth (per priority), unacked, consumers. */
import type { QueueSummary } from "../../../agent/api/schema";
import { Badge } from "../../components/badges";
import { Table, type Column } from "../../components/Table";
import { formatCount, NONE } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { QueueLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";

export function exchangeLabel(q: Pick<QueueSummary, "exchange" | "exchange_type">): string {
  if (q.exchange === null) return NONE;
  return `${q.exchange || "(default)"}${q.exchange_type ? ` (${q.exchange_type})` : ""}`;
}

export function yesNo(value: boolean | null): string {
  return value === null ? NONE : value ? "yes" : "no";
}

/** "12 (p0: 10, p3: 2)": the depth, and its split when more than one priority holds messages. */
export function depthLabel(q: Pick<QueueSummary, "messages" | "messages_by_priority">): string {
  const split = q.messages_by_priority.filter((p) => p.messages > 0);
  const total = formatCount(q.messages);
  return split.length > 1 ? `${total} (${split.map((p) => `p${p.priority}: ${formatCount(p.messages)}`).join(", ")})` : total;
}

const COLUMNS: readonly Column<QueueSummary>[] = [
  { label: "Name", render: (q) => <QueueLink name={q.name} /> },
  { label: "Exchange", render: exchangeLabel },
  { label: "Routing key", render: (q) => q.routing_key ?? NONE, className: "mono" },
  {
    label: "Bindings",
    render: (q) => (q.bindings.length ? q.bindings.map((b) => `${b.exchange || "(default)"} → ${b.routing_key}`).join(", ") : NONE),
    className: "truncate",
  },
  { label: "Durable", render: (q) => yesNo(q.durable) },
  { label: "Priorities", render: (q) => (q.max_priority === null ? NONE : `0–${q.max_priority}`) },
  { label: "Messages", render: depthLabel, className: "num nowrap" },
  { label: "Unacked", render: (q) => formatCount(q.unacked), className: "num" },
  {
    label: "Consumers",
    render: (q) =>
      // The broker's own count (RabbitMQ), when no worker's active_queues names a consumer.
      !q.consumers.length && q.consumer_count ? (
        <span title="counted by the broker">{formatCount(q.consumer_count)}</span>
      ) : q.consumers.length ? (
        <span title={q.consumers.map((c) => `${c.worker}${c.online ? "" : " (offline)"}`).join("\n")}>
          {formatCount(q.consumers.filter((c) => c.online).length)}
        </span>
      ) : (
        <Badge tone="warn">none</Badge>
      ),
    className: "num",
  },
];

export function QueuesView() {
  const queues = useResource((client, signal) => client.get("queues", { signal }), [], { refreshOn: (e) => e.type === "task", minIntervalMs: 3000 });
  return (
    <PanelView name="queues" heading="Queues" resource={queues} what="queues">
      {(data) => (
        <>
          {data.note ? <p class="dim queues-note">{data.note}</p> : null}
          <Table
            label="Queues"
            columns={COLUMNS}
            rows={data.queues}
            rowKey={(q) => q.name}
            empty="No queue found in the broker, the workers or the configuration."
          />
        </>
      )}
    </PanelView>
  );
}
