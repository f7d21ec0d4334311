/**
 * The agent as the benchmark runs it: bundled from agent/cli.ts the way the npm package ships it
 * (scripts/agent-bundle.ts) into bench/tmp/agent/cli.mjs, and started as `node cli.mjs`.
 * `startAgent` from the test fixtures runs the same code through tsx instead (a TypeScript loader
 * that adds ~40 MB to the process); the memory figure reports both.
 */
import { join } from "node:path";
import { bundleAgent } from "../../scripts/agent-bundle";
import { REPO_ROOT, startAgent, startAgentWith, type AgentProcess } from "../../test/harness/deployment";

const BUNDLE = join(REPO_ROOT, "bench", "tmp", "agent", "cli.mjs");
let built = false;

export async function buildAgentBundle(): Promise<string> {
  if (!built) await bundleAgent(REPO_ROOT, BUNDLE);
  built = true;
  return BUNDLE;
}

export type AgentKind = "bundle" | "tsx";

/** Starts the agent (bundled by default) and waits until it listens; `stopAll` of the fixtures stops it. */
export async function startBenchAgent(args: string[], kind: AgentKind = "bundle"): Promise<AgentProcess> {
  if (kind === "tsx") return startAgent(args);
  const flags = (process.env.BENCH_AGENT_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  return startAgentWith([...flags, await buildAgentBundle()], args);
}
