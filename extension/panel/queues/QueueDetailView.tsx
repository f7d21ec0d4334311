/** One queue: depth per priority, consumers, exchange and bindings, routes to it, recent tasks. */
import type { QueueDetail, WaitingRead } from "../../../agent/api/schema";
import { KeyValueTable, Table } from "../../components/Table";
import { formatCount, formatJson, formatTimestamp, NONE } from "../../shared/format";
import { SettingValue } from "../config/SettingValue";
import { PanelView } from "../ResourceView";
import { href } from "../router";
import { TaskTable, WaitingTable, WorkerLink } from "../tasks/TaskTable";
import { FindingsBox } from "../problems/WhyBox";
import { useResource } from "../use-resource";
import { QueueCharts } from "./QueueCharts";
import { depthLabel, exchangeLabel, yesNo } from "./QueuesView";

function QueueBody({ queue }: { queue: QueueDetail }) {
  const deepest = Math.max(1, ...queue.messages_by_priority.map((p) => p.messages));
  return (
    <>
      <KeyValueTable
        label="Queue"
        entries={[
          ["Messages", depthLabel(queue)],
          ["Unacked", formatCount(queue.unacked)],
          ["Oldest unacked", formatTimestamp(queue.oldest_unacked_at)],
          ["Exchange", exchangeLabel(queue)],
          ["Routing key", queue.routing_key ?? NONE],
          ["Durable", yesNo(queue.durable)],
          ["Max priority", formatCount(queue.max_priority)],
          ["Found in", queue.declared_in.join(", ") || NONE],
          // RabbitMQ tells these (the management API: arguments and type).
          ...(queue.queue_type ? [["Queue type", queue.queue_type] as const] : []),
          ...(queue.arguments && Object.keys(queue.arguments).length ? [["Arguments", <SettingValue value={queue.arguments} />] as const] : []),
        ]}
      />
      <QueueCharts name={queue.name} />
      <h2>Depth per priority</h2>
      <Table
        label="Depth per priority"
        columns={[
          { label: "Priority", render: (p) => p.priority, className: "num" },
          { label: "Messages", render: (p) => formatCount(p.messages), className: "num" },
          { label: "", render: (p) => <span class="bar" style={{ width: `${(p.messages / deepest) * 100}%` }} /> },
        ]}
        rows={queue.messages_by_priority}
        rowKey={(p) => String(p.priority)}
        empty="No depth per priority: RabbitMQ counts a queue's messages as one (on Redis: no depth read yet)."
      />
      <h2>Consumers</h2>
      <Table
        label="Consumers"
        columns={[
          { label: "Worker", render: (c) => <WorkerLink name={c.worker} /> },
          { label: "Online", render: (c) => yesNo(c.online) },
          { label: "Prefetch", render: (c) => formatCount(c.prefetch_count), className: "num" },
        ]}
        rows={queue.consumers}
        rowKey={(c) => c.worker}
        rowClass={(c) => (c.online ? undefined : "offline")}
        empty="No worker consumes from this queue: its messages wait."
      />
      <h2>Bindings</h2>
      <Table
        label="Bindings"
        columns={[
          { label: "Exchange", render: (b) => b.exchange || "(default)" },
          { label: "Routing key", render: (b) => b.routing_key, className: "mono" },
        ]}
        rows={queue.bindings}
        rowKey={(b) => `${b.exchange}/${b.routing_key}`}
        empty="No binding found."
      />
      <h2>Tasks routed here</h2>
      <Table
        label="Routes"
        columns={[
          { label: "Pattern", render: (r) => r.pattern, className: "mono" },
          { label: "Route", render: (r) => <span class="mono">{formatJson(r.route).replace(/\s+/g, " ")}</span> },
        ]}
        rows={queue.routed_tasks}
        rowKey={(r) => r.pattern}
        empty="No task_routes entry names this queue."
      />
      <h2>Waiting messages</h2>
      {queue.waiting_tasks ? (
        <>
          <WaitingTable
            tasks={queue.waiting_tasks}
            empty={queue.messages ? "None of its messages could be read as a task." : "No message waits in this queue."}
          />
          <WaitingNote queue={queue} read={queue.waiting} />
        </>
      ) : (
        <div class="dim waiting-note">{queue.waiting_note ?? "This agent does not read waiting messages."}</div>
      )}
      <h2>Recent tasks</h2>
      <TaskTable label="Recent tasks" tasks={queue.recent_tasks} empty="No recent task went through this queue." />
      <p>
        <a href={href({ view: "tasks", filters: { queue: queue.name } })}>All tasks of this queue →</a>
      </p>
    </>
  );
}

/** How the waiting messages were read: when, and whether some were left unread. */
function WaitingNote({ queue, read }: { queue: QueueDetail; read: WaitingRead | undefined }) {
  if (!read) return null;
  const shown = queue.waiting_tasks?.length ?? 0;
  const parts = [`Read from the broker ${formatTimestamp(read.read_at)} without taking any.`];
  if ((queue.messages ?? 0) > shown)
    parts.push(`${formatCount(shown)} of ${formatCount(queue.messages)} shown: the next ones of each priority list, up to a bound.`);
  if (read.error) parts.push(`The last read failed (${read.error}): this is the one before.`);
  return <p class="dim waiting-note">{parts.join(" ")}</p>;
}

export function QueueDetailView({ name }: { name: string }) {
  const queue = useResource((client, signal) => client.get("queue", { params: { name }, signal }), [name], {
    refreshOn: (e) => (e.type === "task" && e.data.queue === name) || e.type === "findings",
    minIntervalMs: 3000,
  });
  return (
    <PanelView name="queue" heading={[{ label: "Queues", href: href({ view: "queues" }) }, { label: name }]} resource={queue} what="queue">
      {(data) => (
        <>
          <FindingsBox subject={name} findings={data.findings} />
          <QueueBody queue={data} />
        </>
      )}
    </PanelView>
  );
}
