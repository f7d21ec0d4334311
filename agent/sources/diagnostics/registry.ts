/** Every rule, run on one snapshot: the findings, worst first. A rule that throws costs only its own findings. */
import { configurationFindings } from "./configuration";
import { drainingFindings } from "./draining";
import { eventFindings } from "./events";
import { sortFindings, type Finding } from "./finding";
import { periodicFindings } from "./periodic";
import { queueFindings } from "./queues";
import { redeliveryFindings } from "./redelivery";
import type { DiagnosticSnapshot } from "./snapshot";
import { stuckWorkFindings } from "./stuck";
import { waitingTaskFindings } from "./task-waiting";
import { workerLoadFindings } from "./worker-load";
import { workerFindings } from "./workers";

export type Rule = (snap: DiagnosticSnapshot) => Finding[];

export const RULES: Readonly<Record<string, Rule>> = {
  tasks: waitingTaskFindings,
  queues: queueFindings,
  events: eventFindings,
  workers: workerFindings,
  configuration: configurationFindings,
  redelivery: redeliveryFindings,
  draining: drainingFindings,
  stuck: stuckWorkFindings,
  workerLoad: workerLoadFindings,
  periodic: periodicFindings,
};

/** One rule's findings, or why it failed: a rule that throws costs only its own findings. */
export function runRule(name: string, rule: Rule, snap: DiagnosticSnapshot): { findings: Finding[]; failed: { rule: string; error: string } | null } {
  try {
    return { findings: rule(snap), failed: null };
  } catch (e) {
    return { findings: [], failed: { rule: name, error: (e as Error).message } };
  }
}

export function runRules(
  snap: DiagnosticSnapshot,
  rules: Readonly<Record<string, Rule>> = RULES,
): { findings: Finding[]; failed: { rule: string; error: string }[] } {
  const findings: Finding[] = [];
  const failed: { rule: string; error: string }[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    const r = runRule(name, rule, snap);
    findings.push(...r.findings);
    if (r.failed) failed.push(r.failed);
  }
  return { findings: sortFindings(findings), failed };
}
