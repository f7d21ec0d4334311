/** Every rule, run on one snapshot: the findings, worst first. A rule that throws costs only its own findings. */
import { configurationFindings } from "./configuration";
import { eventFindings } from "./events";
import { sortFindings, type Finding } from "./finding";
import { queueFindings } from "./queues";
import type { DiagnosticSnapshot } from "./snapshot";
import { waitingTaskFindings } from "./task-waiting";
import { workerFindings } from "./workers";

export type Rule = (snap: DiagnosticSnapshot) => Finding[];

export const RULES: Readonly<Record<string, Rule>> = {
  tasks: waitingTaskFindings,
  queues: queueFindings,
  events: eventFindings,
  workers: workerFindings,
  configuration: configurationFindings,
};

export function runRules(
  snap: DiagnosticSnapshot,
  rules: Readonly<Record<string, Rule>> = RULES,
): { findings: Finding[]; failed: { rule: string; error: string }[] } {
  const findings: Finding[] = [];
  const failed: { rule: string; error: string }[] = [];
  for (const [name, rule] of Object.entries(rules)) {
    try {
      findings.push(...rule(snap));
    } catch (e) {
      failed.push({ rule: name, error: (e as Error).message });
    }
  }
  return { findings: sortFindings(findings), failed };
}
