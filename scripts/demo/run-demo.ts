/**
 * `npm run demo` as a child process in its own process group, as a shell starts it, for the
 * demo's test and the README screenshots: resolves once the demo prints its agent's URL, and
 * `interrupt()` is Ctrl-C (SIGINT to the whole group).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { REPO_ROOT, eventually } from "../../test/harness/deployment";

export interface DemoExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningDemo {
  child: ChildProcess;
  agentUrl: string;
  output(): string;
  exited: Promise<DemoExit>;
  /** Ctrl-C, and the exit; SIGKILL after `graceMs` (the demo's watchdog then stops the rest). */
  interrupt(graceMs?: number): Promise<DemoExit>;
}

/** `readyTimeoutMs` is generous: without dist/ the demo builds the extension first. `args`: more demo options (`--broker rabbitmq`). */
export async function runDemo(port: number, readyTimeoutMs = 180_000, args: string[] = []): Promise<RunningDemo> {
  const child = spawn("npm", ["run", "demo", "--", "--port", String(port), ...args], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<DemoExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  const interrupt = async (graceMs = 20_000) => {
    if (running()) process.kill(-child.pid!, "SIGINT");
    const timer = setTimeout(() => running() && process.kill(-child.pid!, "SIGKILL"), graceMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  };
  const url = await eventually(
    async () => /agent:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? (running() ? null : "exited"),
    readyTimeoutMs,
    "the demo's agent URL",
  ).catch((e: Error) => e);
  if (typeof url !== "string" || url === "exited") {
    await interrupt();
    throw new Error(`npm run demo printed no agent URL (${url instanceof Error ? url.message : "it exited"}); it printed:\n${output.slice(-3000)}`);
  }
  return { child, agentUrl: url, output: () => output, exited, interrupt };
}
