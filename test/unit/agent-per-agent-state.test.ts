// What handlers and the HTTP layer keep per agent (agent/runtime/per-agent-state.ts): made once per
// agent on first use, from that agent, and never shared between two agents in one process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PerAgentState, stateKey } from "../../agent/runtime/per-agent-state";

test("a piece of state is made once per agent, for that agent, and two agents never share it", () => {
  const made: string[] = [];
  const counts = stateKey("counts", (owner: { name: string }) => {
    made.push(owner.name);
    return { owner: owner.name, n: 0 };
  });
  const a = new PerAgentState({ name: "a" });
  const b = new PerAgentState({ name: "b" });
  a.get(counts).n += 1;
  a.get(counts).n += 1;
  b.get(counts).n += 1;
  assert.deepEqual(
    [a.get(counts), b.get(counts)],
    [
      { owner: "a", n: 2 },
      { owner: "b", n: 1 },
    ],
  );
  assert.deepEqual(made, ["a", "b"]);
});
