/**
 * `npm run demo` as a newcomer runs it: it prints the agent's URL and how to load the extension,
 * the agent answers with both live workers and the load generator's tasks, and Ctrl-C (SIGINT to
 * its process group, as a terminal sends it) stops everything it started: by pid, and by command
 * line or environment (nothing left that points at its private redis-server or its directory).
 * A worker SIGKILLed meanwhile (from outside, or by the demo's own kill command) does not stop
 * the demo: the agent shows it offline with its task LOST, and `npm run demo -- restart` brings
 * it back.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { runDemo, type RunningDemo } from "../../scripts/demo/run-demo";
import { eventually, freePort, REPO_ROOT, runPython } from "../harness/deployment";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "latin1").replaceAll("\0", " ");
  } catch {
    return ""; // gone meanwhile, or not ours to read
  }
}

/** Running processes whose command line or environment mentions one of `marks`. */
function processesMentioning(marks: readonly string[]): string[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((pid) => {
      const cmdline = readProc(pid, "cmdline");
      const found = marks.some((mark) => cmdline.includes(mark) || readProc(pid, "environ").includes(mark));
      return found ? [`${pid}: ${cmdline}`] : [];
    });
}

interface WorkerView {
  name: string;
  status: string;
  pid?: number | null;
}

/** `npm run demo -- <command> --dir <the demo's directory>`, as a user types it in another shell. */
async function demoCommand(dir: string, ...command: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("npm", ["run", "-s", "demo", "--", ...command, "--dir", dir], { cwd: REPO_ROOT, timeout: 120_000 });
  return stdout;
}

describe("npm run demo", () => {
  let demo: RunningDemo;
  let agentUrl: string;

  before(async () => {
    demo = await runDemo(await freePort());
    agentUrl = demo.agentUrl;
  });

  // A failed test must not leave the demo running.
  after(() => demo?.interrupt());

  it("prints the agent's URL, its web panel and the two ways to load the extension", () => {
    const output = demo.output();
    assert.match(output, /web panel:\s+http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(output, /Chrome: .*chrome:\/\/extensions .*Load unpacked .*dist\/chrome/);
    assert.match(output, /Firefox: .*about:debugging .*Load Temporary Add-on .*dist\/firefox\/manifest\.json/);
  });

  it("serves both workers online, and the load generator's tasks", async () => {
    await eventually(
      async () => {
        const { workers } = (await (await fetch(`${agentUrl}/api/v1/workers`)).json()) as { workers: { name: string; status: string; pool: string }[] };
        const byName = new Map(workers.map((w) => [w.name, w]));
        return byName.get("prefork@demo")?.status === "online" && byName.get("solo@demo")?.status === "online" && byName.get("solo@demo")?.pool === "solo";
      },
      30_000,
      "both demo workers online",
    );
    const tasks = await eventually(
      async () => {
        const body = (await (await fetch(`${agentUrl}/api/v1/tasks?limit=500`)).json()) as { tasks: { name: string; state: string; worker: string | null }[] };
        const names = new Set(body.tasks.map((t) => t.name));
        // A mix, not one task: several names, and some already run by a worker.
        return names.size >= 3 && body.tasks.some((t) => t.state === "SUCCESS" && t.worker?.endsWith("@demo")) ? body.tasks : null;
      },
      30_000,
      "tasks from the load generator",
    );
    assert.ok(
      tasks.every((t) => t.name.startsWith("panel_fixture.")),
      "every task comes from the demo's app",
    );
  });

  it("keeps running when a worker is SIGKILLed, shows it offline with its task LOST, and restarts it", async () => {
    const dir = /logs:\s+(\S+)\/logs/.exec(demo.output())![1]!;
    const broker = /broker:\s+(redis:\/\/\S+)\/0/.exec(demo.output())![1]!;
    const startedPid = (name: string) => Number([...demo.output().matchAll(new RegExp(`started worker ${name}\\s+pid (\\d+)`, "g"))].at(-1)![1]);
    const worker = async (name: string) => (await (await fetch(`${agentUrl}/api/v1/workers/${name}`)).json()) as WorkerView;
    const task = async (id: string) => (await (await fetch(`${agentUrl}/api/v1/tasks/${id}`)).json()) as { state: string; worker: string | null };

    // A long task only prefork@demo consumes (the media queue), running when the worker dies.
    const id = (
      await runPython(
        `import panel_fixture as p; print(p.sleep_for.apply_async(args=[120], queue="media", routing_key="media").id)`,
        `${broker}/0`,
        `${broker}/1`,
      )
    ).trim();
    await eventually(
      async () => {
        const t = await task(id);
        return t.state === "STARTED" && t.worker === "prefork@demo";
      },
      60_000,
      "the long task started on prefork@demo",
    );
    const preforkPid = startedPid("prefork@demo");
    process.kill(preforkPid, "SIGKILL"); // from outside, as the OOM killer would

    await eventually(async () => (await worker("prefork@demo")).status === "offline", 30_000, "prefork@demo offline");
    await eventually(async () => (await task(id)).state === "LOST", 30_000, "its running task LOST");
    assert.equal(demo.child.exitCode, null, `the demo is still running:\n${demo.output().slice(-2000)}`);
    assert.match(demo.output(), new RegExp(`worker prefork@demo \\(pid ${preforkPid}\\) killed by SIGKILL; the demo keeps running`));
    assert.equal(await (await fetch(`${agentUrl}/api/v1/health`)).status, 200, "the agent still answers");

    assert.match(await demoCommand(dir, "restart", "prefork"), /restarted prefork@demo: pid \d+/);
    const newPreforkPid = startedPid("prefork@demo");
    assert.notEqual(newPreforkPid, preforkPid);
    await eventually(
      async () => {
        const w = await worker("prefork@demo");
        return w.status === "online" && w.pid === newPreforkPid;
      },
      60_000,
      "prefork@demo online again with its new pid",
    );

    // The demo's own kill command, and restart, for the solo worker.
    const soloPid = startedPid("solo@demo");
    assert.match(await demoCommand(dir, "kill", "solo"), new RegExp(`sent SIGKILL to solo@demo \\(pid ${soloPid}\\)`));
    await eventually(
      async () => new RegExp(`worker solo@demo \\(pid ${soloPid}\\) killed by SIGKILL`).test(demo.output()),
      20_000,
      "the demo saying solo@demo died",
    );
    assert.equal(alive(soloPid), false);
    assert.match(await demoCommand(dir, "restart", "solo"), /restarted solo@demo: pid \d+/);
    const newSoloPid = startedPid("solo@demo");
    await eventually(
      async () => {
        const w = await worker("solo@demo");
        return w.status === "online" && w.pid === newSoloPid;
      },
      60_000,
      "solo@demo online again with its new pid",
    );
    assert.equal(demo.child.exitCode, null, "the demo is still running");
  });

  it("keeps its task history across `restart agent`", async () => {
    const dir = /logs:\s+(\S+)\/logs/.exec(demo.output())![1]!;
    const list = async () => (await (await fetch(`${agentUrl}/api/v1/tasks?limit=500&state=SUCCESS`)).json()) as { tasks: { id: string }[]; source: string };
    const before = (await list()).tasks.map((t) => t.id);
    assert.ok(before.length >= 5, "finished tasks before the restart");
    // Written within a flush (300 ms) of finishing; the agent also writes what is left when stopped.
    assert.match(await demoCommand(dir, "restart", "agent"), /restarted the agent: pid \d+; its task history is kept/);
    const after = await eventually(
      async () => {
        const r = await list().catch(() => null);
        return r && before.every((id) => r.tasks.some((t) => t.id === id)) ? r : null;
      },
      30_000,
      "the tasks finished before the restart listed after it",
    );
    assert.ok(after.tasks.length > 0);
    // The result backend gives the new agent each task's result again; only the history has the
    // events the previous run saw (the timeline's task-received and task-started).
    const detail = (await (await fetch(`${agentUrl}/api/v1/tasks/${before[0]}`)).json()) as { timeline: { type: string; source: string }[] };
    assert.ok(
      detail.timeline.some((e) => e.type === "task-started" && e.source === "event"),
      `the earlier run's events kept: ${JSON.stringify(detail.timeline.map((e) => e.type))}`,
    );
    const history = ((await (await fetch(`${agentUrl}/api/v1/health`)).json()) as { history: { state: string; path: string } }).history;
    assert.equal(history.state, "on");
    assert.ok(history.path.startsWith(dir), `the history is in the demo's directory (${history.path})`);
  });

  it("stops everything it started on Ctrl-C, and removes its directory", async () => {
    const output = demo.output();
    const pids = [...output.matchAll(/started (.+?)\s+pid (\d+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
    // Restarted workers appear twice ("restarted worker solo@demo pid …"): each pid must be gone.
    assert.deepEqual([...new Set(pids.map((p) => p.name))].sort(), [
      "agent",
      "celery beat",
      "load generator",
      "redis-server",
      "worker prefork@demo",
      "worker solo@demo",
    ]);
    const broker = /broker:\s+(redis:\/\/127\.0\.0\.1:(\d+))\/0/.exec(output);
    const logs = /logs:\s+(\S+)\/logs/.exec(output);
    assert.ok(broker && logs, "the demo names its broker and its directory");
    const marks = [`127.0.0.1:${broker[2]}`, logs[1]!];
    assert.notDeepEqual(processesMentioning(marks), [], "the demo's processes are found by their marks while it runs");

    const { code, signal } = await demo.interrupt();
    // npm re-raises the SIGINT it got once its script has finished; the demo itself exits 0.
    assert.ok(code === 0 || signal === "SIGINT", `npm run demo ended with ${code ?? signal}:\n${demo.output().slice(-2000)}`);
    assert.match(demo.output(), /Everything the demo started is stopped\./);
    await eventually(async () => !alive(-demo.child.pid!), 10_000, "the demo's process group gone");

    assert.deepEqual(
      pids.filter((p) => alive(p.pid)),
      [],
      "no started pid is alive",
    );
    assert.deepEqual(processesMentioning(marks), [], "no process points at the demo's redis-server or directory");
    assert.equal(existsSync(logs[1]!), false, "the demo's temporary directory is removed");
  });
});
