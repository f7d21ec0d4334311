/** What the benchmark ran on: CPU, cores, memory, and the versions of everything it drives. */
import { readFileSync } from "node:fs";
import os from "node:os";
import { PYTHON, REPO_ROOT } from "../../test/harness/deployment";
import { run } from "./proc";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  versions: { node: string; redis: string; celery: string; python: string; chromium: string; agent: string };
}

async function version(cmd: string, args: string[], pattern: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeoutMs: 20_000 });
    return pattern.exec(stdout + stderr)?.[1] ?? (stdout + stderr).trim().split("\n")[0]!;
  } catch (e) {
    return `unavailable (${(e as Error).message.split("\n")[0]})`;
  }
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as { version: string };
  const [redis, celery, python, chromium] = await Promise.all([
    version("redis-server", ["--version"], /v=(\S+)/),
    version(PYTHON, ["-m", "celery", "--version"], /^(\S+)/),
    version(PYTHON, ["--version"], /Python (\S+)/),
    version("/usr/bin/chromium", ["--version"], /(Chromium \S+)/),
  ]);
  return {
    cpuModel: model,
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    versions: { node: process.versions.node, redis, celery, python, chromium, agent: pkg.version },
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
}
