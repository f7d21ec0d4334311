/**
 * How the agent is bundled, in one place: agent/cli.ts as ESM for node, the package's runtime
 * dependencies left as imports (npm installs them beside it), everything else bundled in. Used by
 * the package build (scripts/build-agent.ts) and by the benchmark, which measures what ships.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

export function runtimeDependencies(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  return Object.keys(pkg.dependencies);
}

export async function bundleAgent(root: string, outfile: string): Promise<void> {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["agent/cli.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: runtimeDependencies(root),
    legalComments: "none",
    logLevel: "warning",
  });
}
