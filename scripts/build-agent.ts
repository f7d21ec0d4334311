/**
 * Bundles the agent for the npm package: agent/cli.ts -> dist/agent/cli.js (the
 * `celery-panel-agent` command). ESM for node, the shebang kept from cli.ts, and the package's
 * runtime dependencies left as imports (npm installs them); everything else is bundled in. The web
 * panel it serves at its root URL is dist/web, written by scripts/build-extension.ts.
 */
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleAgent, runtimeDependencies } from "./agent-bundle";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "agent", "cli.js");

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

rmSync(dirname(OUT), { recursive: true, force: true });
await bundleAgent(ROOT, OUT);
chmodSync(OUT, 0o755);
console.log(`agent ${pkg.version}: dist/agent/cli.js (dependencies: ${runtimeDependencies(ROOT).join(", ")})`);
