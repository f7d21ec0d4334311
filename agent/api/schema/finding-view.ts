/**
 * One finding as the API shows it: apart from findings.ts so the detail responses (task, queue,
 * worker) can carry the findings whose subject they are without importing each other.
 */
import "./zod-setup";
import * as z from "zod/mini";
import { EVIDENCE_SOURCES, FINDING_SEVERITIES, FINDING_SUBJECTS } from "./enums";
import { HiddenSchema, Time } from "./common";

export const FindingSeveritySchema = z.enum(FINDING_SEVERITIES);
/** A kind this agent does not know yet is still a finding: clients show it as any other. */
export const FindingKindSchema = z.string();

export const EvidenceSchema = z.looseObject({
  what: z.string(),
  /** A setting's value is hidden from a caller who may not see the configuration. */
  value: z.union([z.string(), z.number(), z.boolean(), z.null(), HiddenSchema]),
  at: z.optional(Time),
  source: z.enum(EVIDENCE_SOURCES),
});

export const FindingSchema = z.looseObject({
  /** `kind|subject type|subject id`: stable while the finding lasts. */
  id: z.string(),
  kind: FindingKindSchema,
  severity: FindingSeveritySchema,
  subject: z.looseObject({ type: z.enum(FINDING_SUBJECTS), id: z.string() }),
  sentence: z.string(),
  evidence: z.array(EvidenceSchema),
  action: z.string(),
});

/** The findings whose subject a detail response is (absent from an agent without diagnostics). */
export const SubjectFindingsSchema = z.optional(z.array(FindingSchema));

export type Evidence = z.infer<typeof EvidenceSchema>;
export type FindingView = z.infer<typeof FindingSchema>;
