/**
 * A finding: a conclusion the agent draws from what it holds (why a task waits, a queue that does not
 * drain, a worker gone), the evidence it rests on, each piece naming where it was read, and what to
 * do. Rules (one file per family beside this one) make them from a snapshot; they never read I/O.
 */
import type { EvidenceSource, FindingKind, FindingSeverity, FindingSubjectType } from "../../api/schema/enums";

/** A figure or time a finding rests on. `at`: when it was read or happened (ms, agent clock). */
export interface Evidence {
  what: string;
  value: string | number | boolean | null;
  at?: number;
  source: EvidenceSource;
}

export interface Finding {
  kind: FindingKind;
  severity: FindingSeverity;
  subject: { type: FindingSubjectType; id: string };
  /** One sentence in plain words. */
  sentence: string;
  evidence: Evidence[];
  /** What to do about it. */
  action: string;
}

/** A finding's identity: one per kind and subject. */
export const findingKey = (f: Finding) => `${f.kind}|${f.subject.type}|${f.subject.id}`;

const SEVERITY_ORDER: Record<FindingSeverity, number> = { problem: 0, warning: 1, info: 2 };

/** Worst first, then by kind and subject: a stable order, so an unchanged list reads the same. */
export function sortFindings(list: Finding[]): Finding[] {
  return list.sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0),
  );
}

/** "3 s", "4 min", "2 h": a duration in ms, in words. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** "a", "a and b", "a, b and 3 more". */
export function listed(names: readonly string[], max = 3): string {
  if (names.length <= 1) return names[0] ?? "";
  if (names.length <= max) return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
