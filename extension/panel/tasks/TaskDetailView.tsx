/** One task: arguments, result or error with its traceback, timeline, retries, limits, routing, family. */
import type { ComponentChildren } from "preact";
import type { TaskDetail, TimelineEntry, Value } from "../../../agent/api/schema";
import { StateBadge, waitingText } from "../../components/badges";
import { KeyValueTable, Table } from "../../components/Table";
import { formatCount, formatDuration, formatTimestamp, formatValue, isHidden, NONE, shortId, timelineTimes, type TimelineTimes } from "../../shared/format";
import { Payload } from "../../components/Payload";
import { PanelView } from "../ResourceView";
import { href } from "../router";
import { TaskLink, TaskQueue, WorkerLink } from "./TaskTable";
import { useResource } from "../use-resource";
import { WhyBox } from "../problems/WhyBox";

function ValueBlock({ label, value }: { label: string; value: Value | null }) {
  return (
    <div class="value-block" data-value={label}>
      <h3>
        {label} {value ? <span class="dim">({value.format === "json" ? "JSON" : value.format === "repr" ? "Python repr" : "hidden"})</span> : null}
      </h3>
      {value?.format === "hidden" ? <div class="dim">{formatValue(value)}</div> : <pre>{formatValue(value)}</pre>}
    </div>
  );
}

function limits(task: TaskDetail): string {
  if (!task.time_limit) return NONE;
  const { soft, hard } = task.time_limit;
  return `soft ${formatDuration(soft)} · hard ${formatDuration(hard)}`;
}

/** The task's outcome first: its result once it succeeded, its error while it failed (or is retrying), the verdict when lost. */
function Outcome({ task }: { task: TaskDetail }) {
  if (task.waiting) {
    return (
      <div class="waiting-box" data-waiting-queue={task.waiting.queue}>
        {waitingText(task.waiting)}; read {formatTimestamp(task.waiting.seen_at)}.
      </div>
    );
  }
  if (task.state === "SCHEDULED") {
    return <div class="waiting-box">Scheduled: the worker received it and runs it at {formatTimestamp(task.eta)}.</div>;
  }
  if (task.state === "LOST" && task.lost) {
    return (
      <div class="task-error">
        <h2>Lost</h2>
        <div class="error-box" data-lost-worker={task.lost.worker}>
          Lost on <WorkerLink name={task.lost.worker} /> at {formatTimestamp(task.lost.at)}: {task.lost.reason}. This is the agent's verdict: a later event or
          result (a redelivery, the worker back) replaces it.
        </div>
      </div>
    );
  }
  const failed = task.state !== "SUCCESS" && (task.exception_info || task.traceback || task.exception);
  if (!failed) {
    const retried = task.state === "SUCCESS" && (task.retries ?? 0) > 0;
    return (
      <>
        <ValueBlock label="Result" value={task.result_value} />
        {retried ? (
          <div class="dim retried-note">
            Succeeded on attempt {task.retries! + 1}, after {task.retries} {task.retries === 1 ? "retry" : "retries"}: the timeline shows each attempt, with the
            exceptions that caused the retries.
          </div>
        ) : null}
      </>
    );
  }
  const info = task.exception_info;
  return (
    <div class="task-error">
      <h2>{task.state === "RETRY" ? "Retrying after an error" : "Error"}</h2>
      <div class="error-box">
        <strong>{info?.type ?? "Exception"}</strong>
        {info?.module ? <span class="dim"> ({info.module})</span> : null}: <Payload value={info?.message ?? task.exception} empty="" />
      </div>
      <h3>Traceback</h3>
      <Traceback text={task.traceback} />
    </div>
  );
}

function Traceback({ text }: { text: TaskDetail["traceback"] | undefined }) {
  if (isHidden(text)) {
    return (
      <div class="traceback">
        <Payload value={text} />
      </div>
    );
  }
  return text ? <pre class="traceback">{text}</pre> : <div class="dim">No traceback recorded.</div>;
}

/** A timeline step's detail; a retry that the task went past keeps its traceback here, folded. */
function StepDetail({ step }: { step: TimelineEntry }) {
  return (
    <>
      <Payload value={step.detail} empty="" />
      {step.traceback ? (
        <details class="step-traceback">
          <summary>traceback</summary>
          <Traceback text={step.traceback} />
        </details>
      ) : null}
    </>
  );
}

function attemptLabel(e: TimelineEntry): ComponentChildren {
  if (e.attempt === undefined) return NONE;
  return e.attempt_inferred ? <em title="No source named this step's attempt: it follows the step before">{e.attempt}</em> : String(e.attempt);
}

/** The time cells of each timeline entry (ms, zone, gap from the previous: see timelineTimes). */
function timelineCells(timeline: readonly TimelineEntry[]): (entry: TimelineEntry) => TimelineTimes {
  const times = timelineTimes(timeline);
  return (entry) => times[timeline.indexOf(entry)]!;
}

function TaskBody({ task }: { task: TaskDetail }) {
  const timeOf = timelineCells(task.timeline);
  return (
    <>
      <div class="row task-title">
        <StateBadge state={task.state} lost={task.lost} waiting={task.waiting} eta={task.eta} />
        <strong>{task.name ?? "unknown task"}</strong>
        <code>{task.id}</code>
      </div>
      {task.note ? <div class="notice task-note">{task.note}</div> : null}
      <Outcome task={task} />
      <h2>Arguments</h2>
      <ValueBlock label="args" value={task.args_value} />
      <ValueBlock label="kwargs" value={task.kwargs_value} />
      <h2>Details</h2>
      <KeyValueTable
        label="Task details"
        entries={[
          ["Worker", <WorkerLink name={task.worker} />],
          ["Queue", <TaskQueue task={task} />],
          ["Exchange / routing key", `${task.exchange === "" ? "(default)" : (task.exchange ?? NONE)} / ${task.routing_key ?? NONE}`],
          ["Priority", formatCount(task.priority)],
          ["Retries", formatCount(task.retries)],
          ["Time limits", limits(task)],
          ["ETA", formatTimestamp(task.eta)],
          ["Expires", formatTimestamp(task.expires)],
          ["Sent", formatTimestamp(task.sent)],
          ["Received", formatTimestamp(task.received)],
          ["Started", formatTimestamp(task.started)],
          ["Finished", formatTimestamp(task.finished)],
          ["Runtime", formatDuration(task.runtime)],
          ["Parent", task.parent_id ? <TaskLink id={task.parent_id} /> : NONE],
          ["Root", task.root_id && task.root_id !== task.id ? <TaskLink id={task.root_id} /> : NONE],
          [
            "Children",
            task.children.length
              ? task.children.map((id) => (
                  <span key={id}>
                    <TaskLink id={id} />{" "}
                  </span>
                ))
              : NONE,
          ],
        ]}
      />
      <h2>Timeline</h2>
      {/* Milliseconds and the gap from the previous entry: order and delays within a second show. */}
      <Table
        label="Timeline"
        columns={[
          { label: "Attempt", render: attemptLabel, className: "num" },
          {
            label: "At",
            render: (e) => (
              <time dateTime={e.at} title={timeOf(e).title}>
                {timeOf(e).at}
              </time>
            ),
            className: "nowrap tabular",
          },
          { label: "Gap", render: (e) => timeOf(e).gap, className: "num nowrap" },
          { label: "Event", render: (e) => e.type },
          { label: "Host", render: (e) => e.hostname ?? NONE },
          { label: "From", render: (e) => TIMELINE_SOURCES[e.source] },
          { label: "Detail", render: (e) => <StepDetail step={e} /> },
        ]}
        rows={task.timeline}
        rowClass={(e) => ((e.attempt ?? 1) % 2 === 0 ? "attempt-even" : undefined)}
        rowKey={(e) => `${e.type}@${e.at}@${e.source}`}
        empty="No event recorded for this task."
      />
    </>
  );
}

const TIMELINE_SOURCES = { event: "event", result_backend: "result backend", agent: "agent (verdict)" } as const;

const SOURCE_NAMES = { events: "events", result_backend: "result backend", inspect: "worker inspect", broker: "its message in the queue" } as const;

/** The agent's source line, and which of those sources actually knew this task. */
function taskSource(task: TaskDetail): string {
  const knew = task.sources.map((s) => SOURCE_NAMES[s] ?? s).join(" + ") || "no source";
  return `${task.source} (this task: ${knew})`;
}

export function TaskDetailView({ id }: { id: string }) {
  const task = useResource((client, signal) => client.get("task", { params: { id }, signal }), [id], {
    refreshOn: (e) => e.type === "task" && (e.data.id === id || e.data.parent_id === id),
    minIntervalMs: 1000,
  });
  const label = task.data?.name ? `${task.data.name} ${shortId(id)}` : shortId(id);
  return (
    <>
      <PanelView
        name="task"
        heading={[{ label: "Tasks", href: href({ view: "tasks", filters: {} }) }, { label }]}
        resource={task}
        what="task"
        sourceOf={taskSource}
      >
        {(data) => (
          <>
            <WhyBox id={data.id} />
            <TaskBody task={data} />
          </>
        )}
      </PanelView>
      {/* An id the agent does not hold: the why box says what the evidence allows. */}
      {task.data === null && task.failure?.kind === "http-error" && task.failure.status === 404 ? <WhyBox id={id} /> : null}
    </>
  );
}
