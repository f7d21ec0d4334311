/**
 * Controlling a running demo: kill a worker (SIGKILL, as the OOM killer would) and restart it, to
 * watch the panel see it go offline, its tasks become LOST, and the worker come back.
 *
 * Two ways in: keys when the demo's stdin is a terminal, and `npm run demo -- kill solo` (or
 * `restart solo`, `status`) from anywhere else, which talks to the demo over a Unix socket in its
 * temporary directory (so it works without a terminal: scripts, tests, another shell).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

export const DEMO_DIR_PREFIX = "celery-panel-demo-";
const SOCKET_NAME = "control.sock";
export const DEMO_WORKERS = ["solo@demo", "prefork@demo"] as const;
export type DemoWorker = (typeof DEMO_WORKERS)[number];

export type ControlCommand = { action: "kill" | "restart"; worker: DemoWorker } | { action: "restart-agent" } | { action: "status" };
export type RunCommand = (command: ControlCommand) => Promise<string>;

export const CONTROL_ACTIONS = ["kill", "restart", "status"] as const;

export const KEYS_HELP = `Keys: k kills solo@demo with SIGKILL, r restarts it; K and R the same for prefork@demo;
      a restarts the agent (its task history stays); s shows the processes; h this help; q or Ctrl-C stops the demo.`;

export function commandsHelp(dirOption = ""): string {
  return `npm run demo -- kill solo${dirOption}      (SIGKILL; prefork for prefork@demo)
  npm run demo -- restart solo${dirOption}   (starts it again, stopping it first if it runs)
  npm run demo -- restart agent${dirOption}  (the agent stopped and started: its task history stays)
  npm run demo -- status${dirOption}`;
}

/** "solo", "solo@demo", "prefork"... to the worker's full name, or null. */
function workerNamed(word: string | undefined): DemoWorker | null {
  const name = word ?? "solo";
  return DEMO_WORKERS.find((w) => w === name || w === `${name}@demo`) ?? null;
}

/** `kill [worker]`, `restart [worker]`, `status`: the command, or why not. */
export function parseCommand(words: readonly string[]): ControlCommand | string {
  const [action, worker, ...rest] = words;
  if (action === "status" && worker === undefined) return { action };
  if (action === "restart" && worker === "agent" && rest.length === 0) return { action: "restart-agent" };
  if ((action === "kill" || action === "restart") && rest.length === 0) {
    const name = workerNamed(worker);
    return name ? { action, worker: name } : `unknown worker "${worker}": one of solo, prefork`;
  }
  return `unknown command "${words.join(" ")}": kill [solo|prefork], restart [solo|prefork|agent] or status`;
}

/** Answers control commands on a Unix socket in the demo's directory: one line in, the reply out. */
export function serveControl(dir: string, run: RunCommand): Server {
  const server = createServer((socket) => {
    let input = "";
    socket.setEncoding("utf8");
    socket.on("error", () => undefined);
    socket.on("data", (chunk) => {
      input += chunk;
      const end = input.indexOf("\n");
      if (end < 0) return;
      const command = parseCommand(input.slice(0, end).trim().split(/\s+/));
      const reply = typeof command === "string" ? Promise.resolve(`error: ${command}`) : run(command).catch((e: Error) => `error: ${e.message}`);
      void reply.then((text) => socket.end(`${text}\n`));
    });
  });
  server.listen(join(dir, SOCKET_NAME));
  return server;
}

function ask(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let reply = "";
    socket.setEncoding("utf8");
    socket.setTimeout(90_000, () => socket.destroy(new Error("no answer from the demo in 90 s")));
    socket.on("connect", () => socket.write(`${line}\n`));
    socket.on("data", (chunk) => (reply += chunk));
    socket.on("end", () => resolve(reply.trimEnd()));
    socket.on("error", reject);
  });
}

/** The demos running on this machine: their directories whose control socket answers. */
async function runningDemos(): Promise<string[]> {
  const dirs = readdirSync(tmpdir())
    .filter((name) => name.startsWith(DEMO_DIR_PREFIX))
    .map((name) => join(tmpdir(), name))
    .filter((dir) => existsSync(join(dir, SOCKET_NAME)));
  const alive = await Promise.all(
    dirs.map((dir) =>
      ask(join(dir, SOCKET_NAME), "status").then(
        () => dir,
        () => null,
      ),
    ),
  );
  return alive.filter((dir): dir is string => dir !== null);
}

/** `kill solo [--dir DIR]`: the line to send and the demo's directory if given, or why not. */
function readControlArgs(args: readonly string[]): { line: string; dir: string | undefined } | string {
  try {
    const { positionals, values } = parseArgs({ args: [...args], options: { dir: { type: "string" } }, strict: true, allowPositionals: true });
    if (values.dir === "") return "--dir needs the demo's directory";
    const command = parseCommand(positionals);
    return typeof command === "string" ? command : { line: positionals.join(" "), dir: values.dir };
  } catch (error) {
    return (error as Error).message;
  }
}

/** `npm run demo -- kill solo [--dir DIR]`: sends the command to the running demo; the exit status. */
export async function sendControl(args: readonly string[]): Promise<number> {
  const read = readControlArgs(args);
  if (typeof read === "string") {
    console.error(`demo: ${read}; usage:\n  ${commandsHelp(" [--dir DIR]")}`);
    return 2;
  }
  const { line, dir } = read;
  const demos = dir ? [dir] : await runningDemos();
  if (demos.length !== 1) {
    console.error(
      demos.length
        ? `demo: ${demos.length} demos are running; choose one with --dir:\n  ${demos.join("\n  ")}`
        : "demo: no running demo found (start one with npm run demo)",
    );
    return 1;
  }
  try {
    const reply = await ask(join(demos[0]!, SOCKET_NAME), line);
    console.log(reply);
    return reply.startsWith("error:") ? 1 : 0;
  } catch (error) {
    console.error(`demo: cannot reach the demo in ${demos[0]}: ${(error as Error).message}`);
    return 1;
  }
}

/**
 * Whether this process is in the terminal's foreground process group (Linux: /proc/self/stat's
 * pgrp and tpgid). A background job (`npm run demo &`) that touched the terminal would be stopped
 * by SIGTTOU/SIGTTIN.
 */
function inForeground(): boolean {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return pgrp === tpgid;
  } catch {
    return true;
  }
}

/**
 * Single keys on a terminal's stdin (raw mode, so Ctrl-C arrives as a key: it calls `stop`).
 * False when stdin is not a terminal or the demo runs in the background.
 */
export function listenToKeys(run: RunCommand, stop: () => void, print: (text: string) => void): boolean {
  const stdin = process.stdin;
  if (!stdin.isTTY || !inForeground()) return false;
  const keys: Record<string, ControlCommand> = {
    k: { action: "kill", worker: "solo@demo" },
    r: { action: "restart", worker: "solo@demo" },
    K: { action: "kill", worker: "prefork@demo" },
    R: { action: "restart", worker: "prefork@demo" },
    a: { action: "restart-agent" },
    s: { action: "status" },
  };
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  process.on("exit", () => stdin.isTTY && stdin.setRawMode(false));
  stdin.on("data", (data: string) => {
    for (const key of data) {
      if (key === "\u0003" || key === "q") return stop();
      const command = keys[key];
      if (command) void run(command).then(print, (e: Error) => print(`error: ${e.message}`));
      else if (key === "h" || key === "?") print(KEYS_HELP);
    }
  });
  return true;
}
