/**
 * The demo's processes. Each runs in its own process group (so a Celery prefork worker's pool
 * children stop with it, and Ctrl-C reaches only the demo, which then stops things in order), its
 * output goes to a log file, and a line in that output says when it is ready. A watchdog stops
 * every group if the demo itself dies without cleaning up (kill -9, a crash in node). A service
 * can be restarted in place (a worker the user killed, to watch the panel notice).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServiceSpec {
  /** How the demo names it: "redis-server", "worker prefork@demo"... */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A line of its output that says it is up. */
  ready: RegExp;
  readyTimeoutMs?: number;
  /** Shows its output in the demo's terminal (prefixed) as well as in its log file. */
  echo?: boolean;
  /** How long a stop may take before the whole group is killed. */
  graceMs?: number;
}

/** How a service ended: its exit code, or the signal that killed it. */
export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Service {
  spec: ServiceSpec;
  child: ChildProcess;
  /** Also its process group id: it leads its own group. */
  pid: number;
  logFile: string;
  exited: Promise<ServiceExit>;
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Calls `listener` with each line the child prints, on stdout or stderr (Celery logs to stderr). */
function onLines(child: ChildProcess, listener: (line: string) => void): void {
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on("line", listener);
}

/** Resolves at the output line that says the service is ready; rejects if it exits or takes too long first. */
function waitUntilReady(service: Service, timeoutMs: number): Promise<void> {
  const { spec } = service;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.name} was not ready after ${timeoutMs / 1000} s (see ${service.logFile})`)), timeoutMs);
    void service.exited.then(() => reject(new Error(`${spec.name} exited before it was ready (see ${service.logFile})`)));
    onLines(service.child, (line) => {
      if (!spec.ready.test(line)) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

export class Services {
  /** Services started together (the workers) stop together; batches stop last started first. */
  private readonly batches: Service[][] = [];
  /** Groups seen gone: never signalled again (their ids may be reused). */
  private readonly gone = new Set<Service>();
  private readonly groupsFile: string;
  private watchdog: ChildProcess | null = null;
  private stopping = false;
  /** Services being restarted: their exit is expected. */
  private readonly restarting = new Set<Service>();
  private unexpectedExit: (service: Service, exit: ServiceExit) => void = () => {};

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "logs"), { recursive: true });
    this.groupsFile = join(dir, "process-groups");
  }

  /** Called when a service exits while the demo is neither stopping nor restarting it. */
  onUnexpectedExit(callback: (service: Service, exit: ServiceExit) => void): void {
    this.unexpectedExit = callback;
  }

  /**
   * A detached shell that waits for the demo's pid to vanish, then stops every group listed in
   * the groups file and removes the demo's directory. A normal stop kills it last.
   */
  startWatchdog(): void {
    const script = `
      while kill -0 "$1" 2>/dev/null; do sleep 1; done
      [ -f "$2" ] || exit 0
      for g in $(cat "$2"); do kill -s TERM -- "-$g" 2>/dev/null; done
      sleep 5
      for g in $(cat "$2"); do kill -s KILL -- "-$g" 2>/dev/null; done
      rm -rf "$3"`;
    this.watchdog = spawn("sh", ["-c", script, "celery-panel-demo-watchdog", String(process.pid), this.groupsFile, this.dir], {
      detached: true,
      stdio: "ignore",
    });
    this.watchdog.unref();
  }

  /** Starts services side by side and resolves when all are ready. */
  async start(...specs: ServiceSpec[]): Promise<Service[]> {
    if (this.stopping) throw new Error(`not starting ${specs.map((s) => s.name).join(", ")}: the demo is stopping`);
    const batch: Service[] = [];
    this.batches.push(batch);
    return Promise.all(specs.map((spec) => this.startOne(spec, batch)));
  }

  private async startOne(spec: ServiceSpec, batch: Service[]): Promise<Service> {
    const logFile = join(this.dir, "logs", `${spec.name.replace(/[^\w.-]+/g, "-")}.log`);
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<ServiceExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e) => reject(new Error(`cannot start ${spec.name} (${spec.command}): ${e.message}`)));
    });
    const service: Service = { spec, child, pid: child.pid!, logFile, exited };
    batch.push(service);
    appendFileSync(this.groupsFile, `${service.pid}\n`);
    void exited.then((exit) => {
      if (!this.stopping && !this.restarting.has(service)) this.unexpectedExit(service, exit);
    });

    // Appended: a restarted service keeps its earlier output above the new.
    const log = createWriteStream(logFile, { flags: "a" });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    if (spec.echo) onLines(child, (line) => console.log(`  ${spec.name} │ ${line}`));
    await waitUntilReady(service, spec.readyTimeoutMs ?? 30_000);
    return service;
  }

  /** The service started under this name ("worker solo@demo"), alive or not (a restart replaces it). */
  find(name: string): Service | undefined {
    return this.batches.flat().find((s) => s.spec.name === name);
  }

  isRunning(service: Service): boolean {
    return service.child.exitCode === null && service.child.signalCode === null;
  }

  /** SIGKILLs what is left of a service's group once its leader is gone (a prefork worker's pool children). */
  reap(service: Service): void {
    if (this.gone.has(service)) return;
    signalGroup(service.pid, "SIGKILL");
    this.gone.add(service);
  }

  /**
   * Stops the service if it runs (SIGTERM, then SIGKILL after its grace), then starts it again
   * from the same spec in its place (same batch, so it stops in the same order). Resolves when
   * the new one is ready.
   */
  async restart(service: Service): Promise<Service> {
    if (this.stopping) throw new Error(`not restarting ${service.spec.name}: the demo is stopping`);
    const batch = this.batches.find((b) => b.includes(service));
    if (!batch) throw new Error(`${service.spec.name} is being restarted already`);
    if (this.restarting.has(service)) throw new Error(`${service.spec.name} is being restarted already`);
    this.restarting.add(service);
    try {
      await this.stopOne(service);
    } finally {
      this.restarting.delete(service);
    }
    if (this.stopping) throw new Error(`not restarting ${service.spec.name}: the demo is stopping`);
    batch.splice(batch.indexOf(service), 1);
    return this.startOne(service.spec, batch);
  }

  /** The last lines of a service's log, to show why it failed. */
  tail(service: Service, count = 15): string {
    try {
      return readFileSync(service.logFile, "utf8").trimEnd().split("\n").slice(-count).join("\n");
    } catch {
      return "(no output)";
    }
  }

  /** Stops every service, the last started first; each group is killed if it outlives its grace. */
  async stopAll(onStopped: (service: Service) => void = () => {}): Promise<void> {
    this.stopping = true;
    for (const batch of [...this.batches].reverse()) {
      await Promise.all(
        [...batch].map(async (service) => {
          await this.stopOne(service);
          onStopped(service);
        }),
      );
    }
    if (this.watchdog?.pid) signalGroup(this.watchdog.pid, "SIGKILL");
  }

  private async stopOne(service: Service): Promise<void> {
    if (!this.gone.has(service)) {
      signalGroup(service.pid, "SIGTERM");
      const deadline = Date.now() + (service.spec.graceMs ?? 5000);
      while (groupAlive(service.pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(service.pid)) signalGroup(service.pid, "SIGKILL");
    }
    await service.exited;
    this.gone.add(service);
  }

  /** Last resort when the demo is exiting anyway: SIGKILL every group, synchronously. */
  killAllNow(): void {
    for (const service of this.batches.flat()) if (!this.gone.has(service)) signalGroup(service.pid, "SIGKILL");
    if (this.watchdog?.pid) signalGroup(this.watchdog.pid, "SIGKILL");
  }
}
