/**
 * `npm run demo`: a real Celery playground with the agent pointed at it, until Ctrl-C.
 *
 * A private redis-server on a free port, a prefork and a solo worker on several queues with
 * priorities, celery beat, a load generator sending a steady mix of tasks, and the agent, all from
 * the test fixture's Celery app (scripts/demo/demo_app.py adds a fast beat entry). Ctrl-C (or
 * SIGTERM) stops them in order, the agent and the load first and redis-server last, and removes
 * the demo's temporary directory; nothing is left running. A worker that dies (killed from
 * outside, crashed, or by the demo's own kill command) does not stop the demo: it says so, and
 * the worker can be started again (scripts/demo/control.ts).
 *
 *   npm run demo                      start it (builds the extension first if dist/ lacks it)
 *   npm run demo -- --port 5581       the agent's port (default 5580, or a free one if taken)
 *   npm run demo -- --broker rabbitmq a private RabbitMQ node as the broker (results stay in redis),
 *                                     the agent reading its management API
 *   npm run demo -- --install         as root: apt-get install what is missing
 *   npm run demo -- kill solo         SIGKILL a worker of the running demo (solo or prefork)
 *   npm run demo -- restart solo      start it again
 *   npm run demo -- status            the running demo's processes
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FIXTURE_DIR, PYTHON, REPO_ROOT, fixtureEnv, freePort } from "../test/harness/deployment";
import { RabbitMQNode } from "../test/harness/rabbitmq";
import { CONTROL_ACTIONS, DEMO_DIR_PREFIX, KEYS_HELP, commandsHelp, listenToKeys, sendControl, serveControl, type ControlCommand } from "./demo/control";
import { Services, type Service, type ServiceExit } from "./demo/services";
import { installDebianPackages, missingDebianPackages } from "./demo/system-deps";

const DEMO_DIR = join(REPO_ROOT, "scripts", "demo");
const DEFAULT_AGENT_PORT = 5580;
const BUILD_OUTPUTS = ["dist/chrome/manifest.json", "dist/firefox/manifest.json", "dist/web/index.html"];

const BROKERS = ["redis", "rabbitmq"] as const;

interface DemoOptions {
  install: boolean;
  port: number | null;
  broker: (typeof BROKERS)[number];
}

function readOptions(args: string[]): DemoOptions {
  const usage = `usage: npm run demo [-- --port N] [-- --broker redis|rabbitmq] [-- --install], or to a running demo:\n  ${commandsHelp()}`;
  try {
    const { values } = parseArgs({
      args,
      options: { install: { type: "boolean", default: false }, port: { type: "string" }, broker: { type: "string", default: "redis" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new Error(`--port "${values.port}" is not a port number`);
    const broker = BROKERS.find((b) => b === values.broker);
    if (!broker) throw new Error(`--broker "${values.broker}" is not one of ${BROKERS.join(", ")}`);
    return { install: values.install, port: values.port === undefined ? null : Number(values.port), broker };
  } catch (error) {
    console.error(`demo: ${(error as Error).message}; ${usage}`);
    process.exit(2);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function ensureSystemPackages(install: boolean, broker: DemoOptions["broker"]): void {
  const missing = missingDebianPackages({ rabbitmq: broker === "rabbitmq" });
  if (missing.length) installDebianPackages(missing, install);
}

function ensureBuild(): void {
  if (BUILD_OUTPUTS.every((file) => existsSync(join(REPO_ROOT, file)))) return;
  console.log("Building the extension and the web panel first (dist/ has no build)…");
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/build-extension.ts"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("the extension build failed");
}

/** Every Celery process of the demo: the fixture's app plus the demo's, pointed at the private redis. */
function celeryService(name: string, args: string[], broker: string, backend: string) {
  const env = { ...fixtureEnv(broker, backend), PYTHONPATH: [FIXTURE_DIR, DEMO_DIR].join(":") };
  return { name, command: PYTHON, args: ["-m", "celery", "-A", "demo_app", ...args], cwd: DEMO_DIR, env };
}

/** A private RabbitMQ node (test/harness/rabbitmq.ts) run as one of the demo's services; its files go with the demo's. */
async function startRabbitMQ(services: Services, show: (started: Service[]) => void): Promise<{ broker: string; api: string }> {
  const node = await RabbitMQNode.prepare();
  process.on("exit", () => rmSync(node.dataDir, { recursive: true, force: true }));
  show(
    await services.start({
      name: "rabbitmq-server",
      ...node.command({ logToStdout: true }),
      ready: /Server startup complete/,
      readyTimeoutMs: 60_000,
      graceMs: 15_000,
    }),
  );
  return { broker: node.url(), api: node.managementUrl() };
}

async function startEverything(services: Services, options: DemoOptions): Promise<{ agentUrl: string; broker: string }> {
  const show = (started: Service[]) => {
    for (const s of started) console.log(`  started ${s.spec.name.padEnd(22)} pid ${s.pid}`);
  };
  const redisPort = await freePort();
  show(
    await services.start({
      name: "redis-server",
      command: "redis-server",
      args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", services.dir],
      ready: /Ready to accept connections/,
      readyTimeoutMs: 10_000,
    }),
  );
  // On RabbitMQ the results stay in redis: rpc:// results could not be read by the agent.
  const rabbit = options.broker === "rabbitmq" ? await startRabbitMQ(services, show) : null;
  const broker = rabbit?.broker ?? `redis://127.0.0.1:${redisPort}/0`;
  const backend = `redis://127.0.0.1:${redisPort}/1`;
  const worker = ["worker", "--loglevel=INFO", "-E", "--without-mingle", "--without-gossip"];
  const ready = /\bready\./;
  show(
    await services.start(
      {
        ...celeryService("worker prefork@demo", [...worker, "-n", "prefork@demo", "-P", "prefork", "-c", "3", "-Q", "celery,media,audit"], broker, backend),
        ready,
        graceMs: 10_000,
      },
      { ...celeryService("worker solo@demo", [...worker, "-n", "solo@demo", "-P", "solo", "-Q", "celery,slowlane"], broker, backend), ready, graceMs: 10_000 },
    ),
  );
  // Beat's schedule file lives in the demo's temporary directory, removed at the end.
  show(
    await services.start({
      ...celeryService("celery beat", ["beat", "--loglevel=INFO", "-s", join(services.dir, "beat-schedule")], broker, backend),
      ready: /beat: Starting/,
    }),
  );

  const port = options.port ?? ((await portIsFree(DEFAULT_AGENT_PORT)) ? DEFAULT_AGENT_PORT : await freePort());
  show(
    await services.start({
      name: "agent",
      command: process.execPath,
      args: [
        ...["--import", "tsx", join(REPO_ROOT, "agent", "cli.ts"), "--broker", broker, "--result-backend", backend, "--port", String(port), "--name", "demo"],
        // The task history in the demo's own directory: kept across `restart agent`, gone with the demo.
        ...["--data-dir", join(services.dir, "history")],
        ...(rabbit ? ["--broker-api", rabbit.api] : []),
      ],
      cwd: REPO_ROOT,
      ready: /listening on/,
      echo: true,
      graceMs: 3000,
    }),
  );
  show(
    await services.start({
      name: "load generator",
      command: PYTHON,
      args: [join(DEMO_DIR, "load.py")],
      cwd: DEMO_DIR,
      env: { ...fixtureEnv(broker, backend), PYTHONPATH: FIXTURE_DIR },
      ready: /^load: sending/,
      graceMs: 3000,
    }),
  );
  return { agentUrl: `http://127.0.0.1:${port}`, broker };
}

function printBanner(agentUrl: string, broker: string, dir: string, keys: boolean): void {
  console.log(`
Celery Panel demo is running. Ctrl-C stops it and everything it started.

  agent:      ${agentUrl}
  web panel:  ${agentUrl}/  (open it in a browser)
  broker:     ${broker}  (${broker.startsWith("amqp") ? "a private RabbitMQ node; results in a private redis-server" : "a private redis-server; results in db 1"})
  logs:       ${join(dir, "logs")}

Load the extension, then add the agent ${agentUrl} from its toolbar popup:
  Chrome:   chrome://extensions → Developer mode → Load unpacked → ${join(REPO_ROOT, "dist", "chrome")}
  Firefox:  about:debugging → This Firefox → Load Temporary Add-on → ${join(REPO_ROOT, "dist", "firefox", "manifest.json")}

Kill a worker to see the panel notice (offline, its tasks LOST, the badge); the demo keeps running.
${keys ? `${KEYS_HELP}\nOr from another shell:` : "From another shell (no keys here: stdin is not a terminal, or the demo runs in the background):"}
  ${commandsHelp()}
`);
}

function describeExit({ code, signal }: ServiceExit): string {
  return signal ? `killed by ${signal}` : `exited with status ${code}`;
}

/** Says that a worker died, what the panel will show, and how to start it again. */
function reportDeadWorker(service: Service, exit: ServiceExit, logTail: string, keys: boolean): void {
  const worker = service.spec.name.slice("worker ".length);
  const solo = worker.startsWith("solo");
  const how = keys ? `${solo ? "r" : "R"}, or npm run demo -- restart` : "npm run demo -- restart";
  // A crash has something to say in its log; a kill has not.
  const log = exit.signal ? "" : `; the end of its log:\n${logTail}`;
  console.log(`\ndemo: ${service.spec.name} (pid ${service.pid}) ${describeExit(exit)}; the demo keeps running without it${log}`);
  const seen = solo
    ? "offline, or still busy if it was running a task (a solo worker sends no heartbeat while busy) until it is restarted; that task is then LOST"
    : "offline within seconds, and the tasks it was running LOST";
  console.log(`  The panel will show it ${seen}. Start it again: ${how} ${worker.replace("@demo", "")}`);
}

/** The demo's kill, restart and status commands, from keys or its control socket. */
async function runCommand(services: Services, command: ControlCommand): Promise<string> {
  if (command.action === "status") {
    const names = ["rabbitmq-server", "redis-server", "worker prefork@demo", "worker solo@demo", "celery beat", "agent", "load generator"];
    return names
      .map((name) => services.find(name))
      .filter((s) => s !== undefined)
      .map((s) => `  ${s.spec.name.padEnd(22)} pid ${String(s.pid).padEnd(8)} ${services.isRunning(s) ? "running" : "dead"}`)
      .join("\n");
  }
  if (command.action === "restart-agent") {
    const agent = services.find("agent");
    if (!agent) return "error: the agent has not been started yet";
    console.log("  restarting the agent…");
    const fresh = await services.restart(agent);
    console.log(`  restarted ${fresh.spec.name.padEnd(20)} pid ${fresh.pid}`);
    return `restarted the agent: pid ${fresh.pid}; its task history is kept`;
  }
  const service = services.find(`worker ${command.worker}`);
  if (!service) return `error: ${command.worker} has not been started yet`;
  if (command.action === "kill") {
    if (!services.isRunning(service)) return `${command.worker} is not running (pid ${service.pid} is gone); restart it with r or npm run demo -- restart`;
    process.kill(service.pid, "SIGKILL");
    return `sent SIGKILL to ${command.worker} (pid ${service.pid})`;
  }
  console.log(`  restarting ${service.spec.name}…`);
  const fresh = await services.restart(service);
  console.log(`  restarted ${fresh.spec.name.padEnd(20)} pid ${fresh.pid}`);
  return `restarted ${command.worker}: pid ${fresh.pid}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if ((CONTROL_ACTIONS as readonly string[]).includes(argv[0] ?? "")) process.exit(await sendControl(argv));
  const options = readOptions(argv);
  try {
    ensureSystemPackages(options.install, options.broker);
    ensureBuild();
  } catch (error) {
    console.error(`demo: ${(error as Error).message}`);
    process.exit(1);
  }

  const dir = mkdtempSync(join(tmpdir(), DEMO_DIR_PREFIX));
  const services = new Services(dir);
  services.startWatchdog();
  let stopping: Promise<void> | null = null;
  const shutdown = (why: string, exitCode: number): Promise<void> => {
    if (stopping) return stopping;
    console.log(`\n${why}: stopping the demo…`);
    stopping = services
      .stopAll((s) => console.log(`  stopped ${s.spec.name.padEnd(22)} pid ${s.pid}`))
      .finally(() => {
        rmSync(dir, { recursive: true, force: true });
        console.log("Everything the demo started is stopped.");
        process.exit(exitCode);
      });
    return stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) console.log(`(${signal}: already stopping)`);
      void shutdown(signal, 0);
    });
  }
  const crash = (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    void shutdown("error", 1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  // If node exits by a path that skipped the shutdown, nothing may outlive it.
  process.on("exit", () => services.killAllNow());
  let started = false;
  let keys = false;
  services.onUnexpectedExit((service, exit) => {
    const name = service.spec.name;
    // Once the demo is up, a dead worker is something to look at in the panel, not a failure.
    if (started && name.startsWith("worker ")) {
      services.reap(service);
      return reportDeadWorker(service, exit, services.tail(service, 8), keys);
    }
    console.error(`\ndemo: ${name} (pid ${service.pid}) ${describeExit(exit)}; the end of its log:\n${services.tail(service)}`);
    void shutdown("failure", 1);
  });

  console.log("Starting the Celery Panel demo…");
  try {
    const { agentUrl, broker } = await startEverything(services, options);
    const run = (command: ControlCommand) => runCommand(services, command);
    serveControl(dir, run);
    keys = listenToKeys(
      run,
      () => void shutdown("Ctrl-C", 0),
      (text) => console.log(text),
    );
    started = true;
    printBanner(agentUrl, broker, dir, keys);
  } catch (error) {
    if (!stopping) crash(error);
  }
}

await main();
