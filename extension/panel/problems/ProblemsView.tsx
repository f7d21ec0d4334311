/**
 * Problems: the agent's findings (`findings`), worst first: each with its severity, the sentence,
 * what to do, and the evidence it rests on (each piece naming its source), linking to its subject.
 * Refreshed when the event stream says the findings changed.
 */
import { useEffect, useRef } from "preact/hooks";
import type { FindingList, FindingView } from "../../../agent/api/schema";
import { Badge, type Tone } from "../../components/badges";
import { Table } from "../../components/Table";
import { formatIso, isHidden, NONE } from "../../shared/format";
import { PanelView } from "../ResourceView";
import { href } from "../router";
import { QueueLink, TaskLink, Time, WorkerLink } from "../tasks/TaskTable";
import { useResource } from "../use-resource";

export const SEVERITY_TONES: Record<FindingView["severity"], Tone> = { problem: "bad", warning: "warn", info: "info" };

/** What a finding is about, linked to its view where it has one. */
export function SubjectLink({ subject }: { subject: FindingView["subject"] }) {
  switch (subject.type) {
    case "task":
      return <TaskLink id={subject.id} />;
    case "queue":
      return <QueueLink name={subject.id} />;
    case "worker":
      return <WorkerLink name={subject.id} />;
    case "periodic_task":
      return <a href={href({ view: "periodic" })}>{subject.id}</a>;
    case "deployment":
      return (
        <a href={href({ view: "config" })} class="mono">
          {subject.id}
        </a>
      );
  }
}

function evidenceValue(value: FindingView["evidence"][number]["value"]): string {
  if (isHidden(value)) return `(hidden: ${value.reason})`;
  return value === null ? NONE : String(value);
}

/** One finding; `focused` (the one a link named) is marked and scrolled into view once. */
export function FindingItem({ finding, focused = false }: { finding: FindingView; focused?: boolean }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: "center" });
  }, [focused]);
  return (
    <article ref={ref} class={`finding ${finding.severity}${focused ? " focused" : ""}`} data-finding={finding.kind} data-finding-id={finding.id}>
      <header>
        <Badge tone={SEVERITY_TONES[finding.severity]}>{finding.severity}</Badge> <SubjectLink subject={finding.subject} />{" "}
        <span class="dim mono">{finding.kind}</span>
      </header>
      <p class="sentence">{finding.sentence}</p>
      <p class="action">
        <strong>What to do:</strong> {finding.action}
      </p>
      <details>
        <summary>Evidence ({finding.evidence.length})</summary>
        <Table
          label="Evidence"
          columns={[
            { label: "What", render: (e) => e.what },
            { label: "Value", render: (e) => evidenceValue(e.value), className: "mono" },
            { label: "Source", render: (e) => e.source },
            { label: "When", render: (e) => (e.at ? <Time at={e.at} /> : <span class="dim">{NONE}</span>) },
          ]}
          rows={finding.evidence}
          rowKey={(e) => `${e.what}|${e.source}`}
          empty="No evidence listed."
        />
      </details>
    </article>
  );
}

export function FindingItems({ findings, empty, focus }: { findings: readonly FindingView[]; empty: string; focus?: string }) {
  if (!findings.length) return <div class="dim">{empty}</div>;
  return (
    <div class="findings">
      {findings.map((f) => (
        <FindingItem key={f.id} finding={f} focused={f.id === focus} />
      ))}
    </div>
  );
}

function Counts({ data }: { data: FindingList }) {
  return (
    <div class="dim">
      {data.counts.problem} problem{data.counts.problem === 1 ? "" : "s"}, {data.counts.warning} warning{data.counts.warning === 1 ? "" : "s"},{" "}
      {data.counts.info} to know; as of <span title={formatIso(data.computed_at)}>{data.computed_at.slice(11, 19)}</span>
      {data.failed_rules.length ? ` (rules that failed: ${data.failed_rules.map((r) => `${r.rule}: ${r.error}`).join("; ")})` : ""}
    </div>
  );
}

/** `focus`: the id of the finding a link named (gone by now, it is simply not marked). */
export function ProblemsView({ focus }: { focus?: string }) {
  const findings = useResource((client, signal) => client.get("findings", { signal }), [], { refreshOn: (e) => e.type === "findings", minIntervalMs: 1000 });
  return (
    <PanelView name="problems" heading="Problems" resource={findings} what="findings">
      {(data) => (
        <>
          <Counts data={data} />
          <FindingItems findings={data.findings} empty="Nothing looks wrong: no finding." focus={focus} />
        </>
      )}
    </PanelView>
  );
}
