/**
 * Reading a running agent's findings in the diagnostics tests: the list (checked against the
 * contract), a task's "why", one finding by kind and subject, waiting for one to appear or go, its
 * evidence, and sending tasks from the fixture app.
 */
import assert from "node:assert/strict";
import type { FindingList, FindingView, TaskWhy } from "../../agent/api/schema";
import { contractGet } from "./contract";
import { eventually, runPython, type AgentProcess } from "./deployment";

export class FindingsProbe {
  constructor(
    readonly agent: AgentProcess,
    readonly broker = "",
    readonly backend = "",
  ) {}

  list(query = ""): Promise<FindingList> {
    return contractGet<FindingList>(this.agent, "findings", `findings${query}`);
  }

  why(id: string): Promise<TaskWhy> {
    return contractGet<TaskWhy>(this.agent, "taskWhy", `tasks/${id}/why`);
  }

  async find(kind: string, subject: string): Promise<FindingView | undefined> {
    return (await this.list(`?kind=${kind}`)).findings.find((f) => f.subject.id === subject);
  }

  /** Polls the list until the finding of `kind` about `subject` is there (and `also` holds of it: evidence still being gathered); returns it. */
  appears(kind: string, subject: string, timeoutMs = 60_000, also: (f: FindingView) => boolean = () => true): Promise<FindingView> {
    return eventually(
      async () => {
        const f = await this.find(kind, subject);
        return f && also(f) ? f : null;
      },
      timeoutMs,
      `${kind} about ${subject} listed`,
    );
  }

  /** Polls the list until no finding of `kind` is about `subject`. */
  async disappears(kind: string, subject: string, timeoutMs = 60_000): Promise<void> {
    await eventually(async () => !(await this.find(kind, subject)), timeoutMs, `${kind} about ${subject} gone`);
  }

  /** Runs `code` with the fixture app imported as `p`; returns the last line it printed. */
  async send(code: string, env: Record<string, string> = {}): Promise<string> {
    assert.ok(this.broker, "FindingsProbe.send needs the broker URL");
    return (await runPython(`import panel_fixture as p\n${code}`, this.broker, this.backend, env)).trim().split("\n").pop()!;
  }
}

/** The value of the evidence `what` of a finding (undefined when it has none), with its source. */
export function evidenceOf(f: FindingView, what: string): { value: unknown; source: string } | undefined {
  const e = f.evidence.find((x) => x.what === what);
  return e && { value: e.value, source: e.source };
}

/** A finding's evidence value by what it is, asserting it is there and read from `source`. */
export function evidence(f: FindingView, what: string, source?: string): FindingView["evidence"][number]["value"] {
  const e = f.evidence.find((x) => x.what === what);
  assert.ok(e, `${f.kind} has no evidence "${what}": ${JSON.stringify(f.evidence)}`);
  if (source) assert.equal(e.source, source, `evidence "${what}" of ${f.kind}`);
  return e.value;
}
