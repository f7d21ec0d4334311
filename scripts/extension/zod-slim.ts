/**
 * esbuild plugin: `import { z } from "zod"` bundles only the zod functions the sources call.
 * zod's `z` namespace object holds every export (locales, JSON Schema, ...), which defeats
 * tree shaking; the shared schema only calls a dozen of them. The plugin replaces `z` with an
 * object of exactly the `z.<name>` the extension and agent/api sources use (found by a scan),
 * so a new call in agent/api/schema/ is picked up without editing anything here.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "esbuild";
import { z } from "zod";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The runtime members of `z` that these files call, sorted. */
export function usedZodMembers(files: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of files) for (const match of readFileSync(file, "utf8").matchAll(/\bz\.([A-Za-z_$][\w$]*)/g)) names.add(match[1]!);
  // Type-only names (z.infer) have no runtime value.
  return [...names].filter((name) => (z as Record<string, unknown>)[name] !== undefined).sort();
}

export function zodSlimModule(names: readonly string[]): string {
  const imports = names.map((name) => `${name} as _${name}`).join(", ");
  const members = names.map((name) => `${name}: _${name}`).join(", ");
  return `import { ${imports} } from "zod/v4";\nexport * from "zod/v4";\nexport const z = { ${members} };\n`;
}

export function zodSlimPlugin(root: string, sourceDirs: readonly string[]): Plugin {
  return {
    name: "zod-slim",
    setup(build) {
      build.onResolve({ filter: /^zod$/ }, () => ({ path: "zod", namespace: "zod-slim" }));
      build.onLoad({ filter: /.*/, namespace: "zod-slim" }, () => {
        const names = usedZodMembers(sourceDirs.flatMap((dir) => sourceFiles(join(root, dir))));
        return { contents: zodSlimModule(names), resolveDir: root, loader: "js" };
      });
    },
  };
}
