/** How the panel words hidden values and a caller's limited access (extension/shared/format.ts, panel/AccessNote.tsx). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TaskRowSchema } from "../../agent/api/schema";
import { accessNote } from "../../extension/panel/AccessNote";
import { formatPayload, isHidden } from "../../extension/shared/format";

const hidden = { format: "hidden" as const, reason: "this token is limited: it may not see task arguments and results" };

describe("hidden values", () => {
  it("are told apart from text and shown as (hidden)", () => {
    assert.equal(isHidden(hidden), true);
    assert.equal(isHidden("(1, 2)"), false);
    assert.equal(isHidden(null), false);
    assert.equal(isHidden({ format: "json", value: 1 }), false);
    assert.equal(formatPayload(hidden), "(hidden)");
    assert.equal(formatPayload("(1, 2)"), "(1, 2)");
    assert.equal(formatPayload(null), "—");
  });

  it("pass the task row contract in every payload field", () => {
    const row = {
      id: "x",
      name: "t",
      state: "FAILURE",
      args: hidden,
      kwargs: hidden,
      result: null,
      exception: hidden,
      sent: null,
      received: null,
      started: null,
      finished: null,
      runtime: null,
      worker: null,
      queue: null,
      retries: null,
      root_id: null,
      parent_id: null,
    };
    assert.ok(TaskRowSchema.safeParse(row).success);
    assert.ok(!TaskRowSchema.safeParse({ ...row, args: { format: "hidden" } }).success, "a hidden marker says why");
  });
});

describe("the access note", () => {
  it("says nothing for full access or an older agent", () => {
    assert.equal(accessNote(undefined), null);
    assert.equal(accessNote({ token: "full", scopes: ["config", "task_payloads"], redacted: false }), null);
    assert.equal(accessNote({ token: "none", scopes: ["config", "task_payloads"], redacted: false }), null);
  });

  it("names what a limited token or --redact hides", () => {
    const limited = accessNote({ token: "limited", scopes: [], redacted: false })!;
    assert.equal(limited.label, "limited token");
    assert.match(limited.title, /limited: it does not show the Configuration view, nor task arguments/);
    const redacted = accessNote({ token: "none", scopes: ["config"], redacted: true })!;
    assert.equal(redacted.label, "redacted");
    assert.match(redacted.title, /--redact: it does not show task arguments/);
    assert.doesNotMatch(redacted.title, /Configuration/);
  });
});
