/**
 * A private RabbitMQ node for tests: Debian's rabbitmq-server run as the `rabbitmq` user under a
 * name, ports and directories of its own (beside the machine's node on 5672, never touching it),
 * with the management plugin on a free port. Ready in about 5 s. `rabbitmqctl` against it lists
 * what exists (queues, exchanges), which is how tests prove the agent declared only its own queues.
 * With `tls`, it also listens for amqps:// on another free port, presenting a certificate for
 * 127.0.0.1/localhost signed by a CA made for this run (`tls.caFile`).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort, stopChild, track } from "./deployment";
import { makeServerCertificates, type ServerCertificates } from "./tls-certs";

const run = promisify(execFile);
const RABBITMQ_SERVER = "/usr/sbin/rabbitmq-server";
const RABBITMQCTL = "/usr/sbin/rabbitmqctl";
/** What Debian's /usr/sbin/rabbitmq-server wraps (the wrapper sends its output to a file of the machine's). */
const RABBITMQ_SERVER_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const RABBITMQ_HOME = "/var/lib/rabbitmq";

export interface RabbitQueueRow {
  name: string;
  messages: number;
  consumers: number;
  exclusive: boolean;
  durable: boolean;
  autoDelete: boolean;
  arguments: string;
}

export interface RabbitExchangeRow {
  name: string;
  type: string;
}

/** RabbitMQ's ssl_options.verify: verify_peer asks clients for a certificate (fail_if_no_peer_cert stays false). */
export type TlsVerify = "verify_none" | "verify_peer";

export interface NodeOptions {
  tls?: { verify: TlsVerify };
}

/** The TLS listener of a node started with `tls`. */
export interface TlsListener extends ServerCertificates {
  port: number;
}

let sequence = 0;

export class RabbitMQNode {
  private child: ChildProcess | null = null;
  readonly nodeName: string;
  /** Its data, logs and configuration (destroy() removes it). */
  readonly dataDir: string;
  /** Set when started with `tls`. */
  tls: TlsListener | null = null;

  private constructor(
    readonly port: number,
    readonly managementPort: number,
    private readonly distPort: number,
    private readonly dir: string,
  ) {
    this.dataDir = dir;
    this.nodeName = `panel-test-${process.pid}-${++sequence}-${port}@localhost`;
  }

  static async start(opts: NodeOptions = {}): Promise<RabbitMQNode> {
    const node = await RabbitMQNode.prepare(opts);
    await node.run();
    return node;
  }

  /** Its directories and ports, not started: run() starts it, or another runner starts command() (the demo). */
  static async prepare(opts: NodeOptions = {}): Promise<RabbitMQNode> {
    const dir = mkdtempSync(join(tmpdir(), "celery-panel-rabbit-"));
    chmodSync(dir, 0o755);
    const node = new RabbitMQNode(await freePort(), await freePort(), await freePort(), dir);
    const subdirs = ["mnesia", "log", ...(opts.tls ? ["tls"] : [])];
    for (const sub of subdirs) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, "enabled_plugins"), "[rabbitmq_management].\n");
    const conf = ["loopback_users = none"];
    if (opts.tls) {
      node.tls = { port: await freePort(), ...(await makeServerCertificates(join(dir, "tls"))) };
      conf.push(...tlsConf(node.tls, opts.tls.verify));
    }
    writeFileSync(join(dir, "rabbitmq.conf"), `${conf.join("\n")}\n`);
    // The node runs as rabbitmq: it owns everything here, its private key included (mode 0600 from openssl).
    const { uid, gid } = await rabbitmqIds();
    const files = [...subdirs.map((s) => join(dir, s)), join(dir, "enabled_plugins"), join(dir, "rabbitmq.conf")];
    if (node.tls) files.push(node.tls.caFile, node.tls.certFile, node.tls.keyFile);
    for (const p of [dir, ...files]) chownSync(p, uid, gid);
    return node;
  }

  /**
   * How to start it: rabbitmq-server as the rabbitmq user, with this node's name, ports and
   * directories. `logToStdout`: its log on stdout (where "Server startup complete" says it is up),
   * which Debian's wrapper would send to the machine's /var/log/rabbitmq/startup_log: the real
   * script is run instead, from the rabbitmq user's home as the wrapper does.
   */
  command(opts: { logToStdout?: boolean } = {}): { command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
    if (!opts.logToStdout) return { command: "runuser", args: ["-u", "rabbitmq", "--", RABBITMQ_SERVER], env: this.env(), cwd: RABBITMQ_HOME };
    return { command: "runuser", args: ["-u", "rabbitmq", "--", RABBITMQ_SERVER_SCRIPT], env: { ...this.env(), RABBITMQ_LOGS: "-" }, cwd: RABBITMQ_HOME };
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(this.dir, "log"),
      RABBITMQ_PID_FILE: join(this.dir, "pid"),
      RABBITMQ_CONFIG_FILE: join(this.dir, "rabbitmq"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, "enabled_plugins"),
      RABBITMQ_SERVER_START_ARGS: `-rabbitmq_management listener [{port,${this.managementPort}},{ip,"127.0.0.1"}]`,
      HOME: RABBITMQ_HOME,
    };
  }

  /** Starts (or restarts, on the same ports and data) the node; resolves when AMQP and the management API answer. */
  async run(): Promise<void> {
    const { command, args, env, cwd } = this.command();
    this.child = track(spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true }));
    let output = "";
    this.child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    this.child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`rabbitmq-server exited (${this.child.exitCode}):\n${output}`);
      if (await this.managementAnswers()) return;
      if (Date.now() > deadline) {
        // Not ready is not gone: stop the node, or it outlives the test on its ports.
        await this.stop();
        throw new Error(`rabbitmq-server not ready after 60 s:\n${output}`);
      }
      await sleep(250);
    }
  }

  private async managementAnswers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.managementUrl({ credentials: false })}/api/overview`, { headers: { authorization: basic("guest", "guest") } });
      return res.ok;
    } catch {
      return false;
    }
  }

  /**
   * e.g. amqp://guest:guest@127.0.0.1:5673// (vhost "/"), or another vhost and user; with `tls`,
   * amqps:// to the TLS listener followed by `query` (kombu's ssl_* options).
   */
  url(opts: { vhost?: string; user?: string; password?: string; tls?: boolean; query?: string } = {}): string {
    const user = encodeURIComponent(opts.user ?? "guest");
    const password = encodeURIComponent(opts.password ?? "guest");
    if (opts.tls && !this.tls) throw new Error("this node was started without tls");
    const [scheme, port] = opts.tls ? ["amqps", this.tls!.port] : ["amqp", this.port];
    const query = opts.query ? `?${opts.query}` : "";
    return `${scheme}://${user}:${password}@127.0.0.1:${port}/${encodeURIComponent(opts.vhost ?? "/")}${query}`;
  }

  /** The management HTTP API's base URL, with guest's credentials unless told otherwise. */
  managementUrl(opts: { user?: string; password?: string; credentials?: boolean } = {}): string {
    if (opts.credentials === false) return `http://127.0.0.1:${this.managementPort}`;
    return `http://${encodeURIComponent(opts.user ?? "guest")}:${encodeURIComponent(opts.password ?? "guest")}@127.0.0.1:${this.managementPort}`;
  }

  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run("runuser", ["-u", "rabbitmq", "--", RABBITMQCTL, "-n", this.nodeName, "-q", ...args], {
      env: { ...process.env, HOME: "/var/lib/rabbitmq" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  /** A vhost and a user with every permission on it (tests with a vhost other than "/", passwords that need encoding). */
  async addVhostAndUser(vhost: string, user: string, password: string): Promise<void> {
    await this.ctl("add_vhost", vhost);
    await this.ctl("add_user", user, password);
    await this.ctl("set_user_tags", user, "management");
    await this.ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*");
  }

  async queues(vhost = "/"): Promise<RabbitQueueRow[]> {
    const out = await this.ctl(
      "list_queues",
      "-p",
      vhost,
      "--no-table-headers",
      "name",
      "messages",
      "consumers",
      "exclusive",
      "durable",
      "auto_delete",
      "arguments",
    );
    return out
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => {
        const [name = "", messages = "0", consumers = "0", exclusive = "", durable = "", autoDelete = "", ...args] = l.split("\t");
        return {
          name,
          messages: Number(messages),
          consumers: Number(consumers),
          exclusive: exclusive === "true",
          durable: durable === "true",
          autoDelete: autoDelete === "true",
          arguments: args.join("\t"),
        };
      });
  }

  async exchanges(vhost = "/"): Promise<RabbitExchangeRow[]> {
    const out = await this.ctl("list_exchanges", "-p", vhost, "--no-table-headers", "name", "type");
    return out
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => {
        const [name = "", type = ""] = l.split("\t");
        return { name, type };
      });
  }

  /** Stops the node, keeping its data (run() starts it again on the same ports). */
  async stop(): Promise<void> {
    if (!this.child) return;
    try {
      await this.ctl("stop");
    } catch {
      // Already gone, or not answering: the signal below ends it.
    }
    await stopChild(this.child, "SIGTERM", 15_000);
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** rabbitmq.conf lines for a TLS listener on 127.0.0.1 with these certificates. */
function tlsConf(tls: TlsListener, verify: TlsVerify): string[] {
  return [
    `listeners.ssl.default = 127.0.0.1:${tls.port}`,
    `ssl_options.cacertfile = ${tls.caFile}`,
    `ssl_options.certfile = ${tls.certFile}`,
    `ssl_options.keyfile = ${tls.keyFile}`,
    `ssl_options.verify = ${verify}`,
    "ssl_options.fail_if_no_peer_cert = false",
  ];
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

async function rabbitmqIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", "rabbitmq"]), run("id", ["-g", "rabbitmq"])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
