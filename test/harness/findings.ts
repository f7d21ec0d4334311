/**
 * Reading a running agent's findings in the diagnostics tests: the list (checked against the
 * contract), a task's "why", one finding by kind and subject, waiting for one to appear or go, and
 * sending tasks from the fixture app.
 */
import type { FindingList, FindingView, TaskWhy } from "../../agent/api/schema";
import { contractGet } from "./contract";
import { eventually, runPython, type AgentProcess } from "./deployment";

export class FindingsProbe {
  constructor(
    readonly agent: AgentProcess,
    readonly broker: string,
    readonly backend: string,
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

  /** Polls the list until the finding of `kind` about `subject` is there; returns it. */
  appears(kind: string, subject: string, timeoutMs = 30_000): Promise<FindingView> {
    return eventually(() => this.find(kind, subject), timeoutMs, `${kind} about ${subject} listed`);
  }

  /** Polls the list until no finding of `kind` is about `subject`. */
  async disappears(kind: string, subject: string, timeoutMs = 30_000): Promise<void> {
    await eventually(async () => !(await this.find(kind, subject)), timeoutMs, `${kind} about ${subject} gone`);
  }

  /** Runs `code` with the fixture app imported as `p`; returns the last line it printed. */
  async send(code: string, env: Record<string, string> = {}): Promise<string> {
    return (await runPython(`import panel_fixture as p\n${code}`, this.broker, this.backend, env)).trim().split("\n").pop()!;
  }
}

/** The value of the evidence `what` of a finding (undefined when it has none), with its source. */
export function evidenceOf(f: FindingView, what: string): { value: unknown; source: string } | undefined {
  const e = f.evidence.find((x) => x.what === what);
  return e && { value: e.value, source: e.source };
}
