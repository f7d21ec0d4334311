/** LOST in the contract and the extension: parsed from the agent, listed as a filter, explained on the badge. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { TaskQuerySchema, TaskRowSchema } from "../../agent/api/schema";
import { lostTitle, TASK_STATES } from "../../extension/components/badges";

const row = {
  id: "t1",
  name: "panel_fixture.sleep_for",
  state: "LOST",
  args: "(30,)",
  kwargs: "{}",
  result: null,
  exception: null,
  sent: null,
  received: "2026-11-25T01:00:00.000Z",
  started: "2026-11-25T01:00:01.000Z",
  finished: null,
  runtime: null,
  worker: "doomed@faults",
  queue: "celery",
  retries: 0,
  root_id: "t1",
  parent_id: null,
};

it("a LOST row with where and why it was lost passes the extension's validation; a row without it too", () => {
  const lost = { worker: "doomed@faults", at: "2026-11-25T01:00:06.000Z", reason: "the worker went offline: no heartbeat for 5 s" };
  assert.deepEqual(TaskRowSchema.parse({ ...row, lost }).lost, lost);
  assert.equal(TaskRowSchema.parse({ ...row, state: "STARTED" }).lost, undefined);
  assert.equal(TaskRowSchema.safeParse({ ...row, state: "VANISHED" }).success, false);
});

it("LOST is a filter choice and a query value", () => {
  assert.ok(TASK_STATES.includes("LOST"));
  assert.deepEqual(TaskQuerySchema.parse({ state: "lost,started" }).state, ["LOST", "STARTED"]);
});

it("the badge's title says where, when and why, and that it is the agent's verdict", () => {
  const title = lostTitle({ worker: "doomed@faults", at: "2026-11-25T01:00:06.000Z", reason: "the worker went offline: no heartbeat for 5 s" });
  assert.match(title, /lost on doomed@faults at 2026-11-25T01:00:06.000Z: the worker went offline/);
  assert.match(title, /agent's verdict/);
  assert.match(lostTitle(null), /agent's verdict/);
});
