/**
 * What the demo runs for real and npm cannot install: Debian's redis-server and Celery under
 * /usr/bin/python3 (python3-celery, python3-redis). Missing ones are named, or installed with
 * apt-get when the demo runs as root with --install.
 */
import { spawnSync } from "node:child_process";
import { PYTHON } from "../../test/harness/deployment";

export function missingDebianPackages(opts: { rabbitmq?: boolean } = {}): string[] {
  const missing: string[] = [];
  if (opts.rabbitmq && spawnSync("sh", ["-c", "command -v rabbitmq-server || test -x /usr/sbin/rabbitmq-server"], { stdio: "ignore" }).status !== 0)
    missing.push("rabbitmq-server");
  if (spawnSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" }).status !== 0) missing.push("redis-server");
  if (spawnSync(PYTHON, ["-c", "import celery, redis"], { stdio: "ignore" }).status !== 0) missing.push("python3-celery", "python3-redis");
  if (opts.rabbitmq && spawnSync(PYTHON, ["-c", "import amqp"], { stdio: "ignore" }).status !== 0) missing.push("python3-amqp");
  return missing;
}

/** Installs with apt-get (as root only); throws with the command to run otherwise. */
export function installDebianPackages(packages: readonly string[], allowed: boolean): void {
  const command = `apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const isRoot = process.getuid?.() === 0;
  if (!allowed || !isRoot) {
    const how = isRoot ? `\`npm run demo -- --install\` installs them, or run: ${command}` : `install them with: sudo ${command}`;
    throw new Error(`missing Debian packages: ${packages.join(", ")}; ${how}`);
  }
  console.log(`Installing Debian packages: ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-q"],
    ["install", "-y", "-q", "--no-install-recommends", ...packages],
  ]) {
    const result = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status ?? result.signal})`);
  }
}
