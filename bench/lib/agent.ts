/**
 * The agent as the benchmark runs it: bundled from agent/cli.ts the way the npm package ships it
 * (esbuild, ESM for node, runtime dependencies left as imports, like scripts/build-agent.ts), into
 * bench/tmp/agent/cli.mjs, and started as `node cli.mjs`. `startAgent` from the test fixtures runs
 * the same code through tsx instead (a TypeScript loader that adds ~40 MB to the process); the
 * memory figure reports both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { freePort, REPO_ROOT, startAgent, type AgentProcess } from "../../test/fixtures/deployment";

const BUNDLE = join(REPO_ROOT, "bench", "tmp", "agent", "cli.mjs");
let built = false;
const children = new Set<ChildProcess>();

export async function buildAgentBundle(): Promise<string> {
  if (built) return BUNDLE;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ["agent/cli.ts"],
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: Object.keys(pkg.dependencies),
    legalComments: "none",
    logLevel: "warning",
  });
  built = true;
  return BUNDLE;
}

export type AgentKind = "bundle" | "tsx";

/** Starts the agent (bundled by default) and waits until it listens. */
export async function startBenchAgent(args: string[], kind: AgentKind = "bundle"): Promise<AgentProcess> {
  if (kind === "tsx") return startAgent(args);
  const bundle = await buildAgentBundle();
  const port = await freePort();
  const flags = (process.env.BENCH_AGENT_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...flags, bundle, "--port", String(port), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CELERY_BROKER_URL: "", CELERY_RESULT_BACKEND: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not listening after 20 s:\n${log.slice(-2000)}`)), 20_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (/listening on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited (${code}):\n${log.slice(-2000)}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child,
    output: () => log,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
    async get<T>(path: string, init?: RequestInit) {
      const res = await fetch(url + path, init);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: body as T, headers: res.headers };
    },
  };
}

/** Stops every bundled agent still running. */
export async function stopBenchAgents(): Promise<void> {
  for (const c of children) c.kill("SIGKILL");
}
