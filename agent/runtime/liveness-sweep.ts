/**
 * When a worker's unfinished tasks are LOST. Liveness changes with time alone (a heartbeat that
 * does not come), so it is looked at regularly: a worker going from online to offline takes its
 * received and started tasks with it (a worker first seen offline is not judged: its tasks may
 * predate the agent). A worker that restarted (a new pid under the same name) lost them too.
 * Every change of a worker's liveness is reported, for the event stream.
 */
import type { TaskStore } from "../sources/tasks/store";
import type { WorkerRegistry } from "../sources/workers/registry";

const SWEEP_MS = 500;

export class LivenessSweep {
  /** Each worker's liveness as last seen (`status|busy`). */
  private readonly lastLiveness = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly workers: WorkerRegistry,
    private readonly tasks: TaskStore,
    private readonly changed: (worker: string) => void,
  ) {
    workers.onRestart((w, oldPid) => {
      tasks.markLost(w.name, `the worker restarted (pid ${oldPid} replaced by ${w.pid ?? "a new process"}) before the task finished`, Date.now());
    });
  }

  start(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sweep(): void {
    for (const w of this.workers.all()) {
      const l = this.workers.liveness(w);
      const key = `${l.status}|${l.busy}`;
      const before = this.lastLiveness.get(w.name);
      if (before === key) continue;
      this.lastLiveness.set(w.name, key);
      if (l.status === "offline" && before?.startsWith("online"))
        this.tasks.markLost(w.name, `the worker went offline: ${l.detail ?? "no heartbeat"}`, Date.now());
      this.changed(w.name);
    }
  }
}
