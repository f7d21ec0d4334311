// Findings as the API shows them (agent/handlers/findings.ts): cut to the caller's access, valid
// against the contract, counted per severity.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FindingListSchema } from "../../agent/api/schema";
import { findingList } from "../../agent/handlers/findings";
import { accessFor } from "../../agent/handlers/access";
import { configurationFindings } from "../../agent/sources/diagnostics/configuration";
import { queueFindings } from "../../agent/sources/diagnostics/queues";
import { NOW, queue, snapshot, worker } from "./helpers/diagnostics";

const snap = snapshot({
  queues: [queue("parked", 4)],
  workers: [worker("w1@host", { conf: { task_acks_late: true, task_reject_on_worker_lost: false, accept_content: ["pickle"] } })],
});
const found = [...queueFindings(snap), ...configurationFindings(snap)];

test("a limited token sees no setting's value in the evidence; the full token does", () => {
  const limited = findingList(found, [], NOW, accessFor("limited", false));
  const full = findingList(found, [], NOW, accessFor("full", false));
  for (const list of [limited, full]) assert.ok(FindingListSchema.safeParse(list).success);
  const configEvidence = (l: typeof full) => l.findings.flatMap((f) => f.evidence.filter((e) => e.source === "configuration"));
  assert.ok(configEvidence(full).length >= 3);
  assert.ok(configEvidence(full).every((e) => typeof e.value !== "object"));
  assert.ok(configEvidence(limited).every((e) => typeof e.value === "object" && e.value !== null && e.value.format === "hidden"));
  // The rest of the evidence (a queue's depth) is everyone's.
  assert.deepEqual(
    limited.findings.find((f) => f.kind === "queue_no_consumer")?.evidence[0],
    full.findings.find((f) => f.kind === "queue_no_consumer")?.evidence[0],
  );
});

test("each finding has a stable id, times in ISO 8601, and the list counts per severity", () => {
  const list = findingList(found, [{ rule: "x", error: "boom" }], NOW, accessFor("full", false));
  assert.deepEqual(list.counts, { problem: 1, warning: 2, info: 0 });
  assert.equal(list.findings[0]?.id, "queue_no_consumer|queue|parked");
  assert.equal(list.findings[0]?.evidence[0]?.at, new Date(NOW).toISOString());
  assert.equal(list.computed_at, new Date(NOW).toISOString());
  assert.deepEqual(list.failed_rules, [{ rule: "x", error: "boom" }]);
});
