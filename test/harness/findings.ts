/**
 * Reading an agent's findings in integration tests: the list (checked against the contract), and
 * waiting for one finding to appear or to go, by kind and subject id.
 */
import assert from "node:assert/strict";
import type { FindingList, FindingView } from "../../agent/api/schema";
import { contractGet } from "./contract";
import { eventually, type AgentProcess } from "./deployment";

/** A finding's evidence value by what it is, asserting it is there and read from `source`. */
export function evidence(f: FindingView, what: string, source?: string): FindingView["evidence"][number]["value"] {
  const e = f.evidence.find((x) => x.what === what);
  assert.ok(e, `${f.kind} has no evidence "${what}": ${JSON.stringify(f.evidence)}`);
  if (source) assert.equal(e.source, source, `evidence "${what}" of ${f.kind}`);
  return e.value;
}

export class Findings {
  constructor(private readonly agent: AgentProcess) {}

  list(query = ""): Promise<FindingList> {
    return contractGet<FindingList>(this.agent, "findings", `findings${query}`);
  }

  async find(kind: string, subject: string): Promise<FindingView | undefined> {
    const l = await this.list(`?kind=${kind}`);
    return l.findings.find((f) => f.subject.id === subject);
  }

  /** The finding, once it is there (and `also` holds of it: evidence still being gathered). */
  appears(kind: string, subject: string, timeoutMs = 60_000, also: (f: FindingView) => boolean = () => true): Promise<FindingView> {
    return eventually(
      async () => {
        const f = await this.find(kind, subject);
        return f && also(f) ? f : null;
      },
      timeoutMs,
      `finding ${kind} about ${subject}`,
    );
  }

  /** Resolves once the finding is gone from the list. */
  async goes(kind: string, subject: string, timeoutMs = 60_000): Promise<void> {
    await eventually(async () => !(await this.find(kind, subject)), timeoutMs, `finding ${kind} about ${subject} gone`);
  }
}
