/** A finding as the API shows it to one caller: a setting's value hidden from a token that may not see the configuration. */
import type { FindingView } from "../../api/schema";
import type { Finding } from "../../sources/diagnostics/finding";
import { findingKey } from "../../sources/diagnostics/finding";
import type { Access } from "../access";

const CONFIG_HIDDEN = { format: "hidden" as const, reason: "this token is limited: it may not see the configuration's values" };

export function findingView(f: Finding, access: Access): FindingView {
  const seesConfig = access.scopes.includes("config");
  return {
    id: findingKey(f),
    kind: f.kind,
    severity: f.severity,
    subject: f.subject,
    sentence: f.sentence,
    evidence: f.evidence.map((e) => ({
      what: e.what,
      value: e.source === "configuration" && !seesConfig ? CONFIG_HIDDEN : e.value,
      ...(e.at !== undefined && { at: new Date(e.at).toISOString() }),
      source: e.source,
    })),
    action: f.action,
  };
}
