/**
 * The import-direction check, run by `npm test` after the typecheck: the agent's layers import
 * downward only, the contract stays free of Node, the extension takes only the contract from the
 * agent, no file of the agent imports itself back through others, and a concrete transport
 * (protocol/redis/) is reached only through the seam (protocol/transport.ts, protocol/brokers.ts).
 * The schema's enums (SCHEMA_ENUMS: plain lists, importing nothing) are the one part of the
 * contract every layer may import, values too: the words are spelled there once.
 *
 *   base/ (masking, log) <- protocol/ <- sources/ <- runtime/ <- handlers/ <- http/ <- cli.ts
 *
 * Every import counts, `import type` too (a type cycle still ties two files together), and so do
 * `export ... from` and `import("...")`. There is no allow-list: sources return their own types, and
 * the handlers shape them into the contract's (agent/handlers/present/).
 *
 * Usage: tsx scripts/check-imports.ts [--root DIR]   (exits 1 with one line per violation)
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { posix, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

/** The folders checked; files are keyed by their path from the repository root, with '/'. */
export const CHECKED_DIRS = ["agent", "extension", "scripts", "bench", "test"];
const SOURCE = /\.(ts|tsx|mts|cts)$/;
/** Imports of what is not code (styles, package.json) are the bundler's business, not the layering's. */
const ASSET = /\.(css|json|html|svg|png|txt)$/;

/** The contract: a folder of pieces (agent/api/schema/index.ts re-exports them). */
const SCHEMA = "agent/api/schema/";
/** Its task states, sort keys...: lists that import nothing, so any layer may take them. */
const SCHEMA_ENUMS = "agent/api/schema/enums.ts";

export interface ImportEdge {
  from: string;
  specifier: string;
  /** The repository file it names, or null for a package (or a relative path to nothing). */
  to: string | null;
  typeOnly: boolean;
}

export interface Violation {
  rule: string;
  file: string;
  message: string;
}

/** What each layer of the agent must not import: folders (ending in '/'), files, or "agent/*": the files at the top of agent/ (cli, options, version). */
const LAYERS: { layer: string; forbidden: string[] }[] = [
  { layer: "agent/base/", forbidden: ["agent/protocol/", "agent/sources/", "agent/runtime/", "agent/handlers/", "agent/http/", "agent/api/", "agent/*"] },
  { layer: "agent/protocol/", forbidden: ["agent/sources/", "agent/runtime/", "agent/handlers/", "agent/http/", "agent/api/", "agent/*"] },
  { layer: "agent/sources/", forbidden: ["agent/runtime/", "agent/handlers/", "agent/http/", "agent/api/", "agent/*"] },
  { layer: "agent/runtime/", forbidden: ["agent/handlers/", "agent/http/", "agent/api/", "agent/cli.ts"] },
  { layer: "agent/handlers/", forbidden: ["agent/http/", "agent/cli.ts"] },
  { layer: "agent/http/", forbidden: ["agent/cli.ts"] },
];
/**
 * The concrete transports: only agent/protocol/ imports them (brokers.ts picks one by URL scheme);
 * the rest of the agent holds the interfaces of protocol/transport.ts. Tests may reach in.
 */
const TRANSPORT_DIRS = ["agent/protocol/redis/", "agent/protocol/amqp/", "agent/protocol/database/"];
const NODE_BUILTINS = new Set(builtinModules);

const under = (file: string, target: string) =>
  target === "agent/*" ? /^agent\/[^/]+$/.test(file) : target.endsWith("/") ? file.startsWith(target) : file === target;

const inSchema = (file: string) => file.startsWith(SCHEMA);

/** The imports `text` makes, named as written. */
export function importSpecifiers(file: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
      // `import { type A, type B }` with no default import is as type-only as `import type { A, B }`.
      const allTypes = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: allTypes });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The file a relative specifier names, as the bundler resolution of tsconfig finds it. */
function resolveRelative(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = base.replace(/\.(js|mjs|cjs|jsx)$/, "");
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find((c) => files.has(c)) ?? null;
}

export function importEdges(files: ReadonlyMap<string, string>): ImportEdge[] {
  const names = new Set(files.keys());
  const edges: ImportEdge[] = [];
  for (const [from, text] of files) {
    for (const { specifier, typeOnly } of importSpecifiers(from, text)) {
      const to = specifier.startsWith(".") ? resolveRelative(from, specifier, names) : null;
      edges.push({ from, specifier, to, typeOnly });
    }
  }
  return edges;
}

/** Every rule over `files` (path from the repository root -> text). */
export function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const edges = importEdges(files);
  const violations: Violation[] = [];
  for (const e of edges) {
    // A relative import the check cannot follow would escape every rule below.
    if (e.to === null && e.specifier.startsWith(".") && !ASSET.test(e.specifier)) {
      violations.push({ rule: "resolves", file: e.from, message: `imports "${e.specifier}", which names no file` });
      continue;
    }
    for (const { layer, forbidden } of LAYERS) {
      if (!e.to || !e.from.startsWith(layer)) continue;
      const hit = forbidden.find((f) => under(e.to!, f));
      if (hit && e.to !== SCHEMA_ENUMS) violations.push({ rule: `${layer} imports nothing from ${hit}`, file: e.from, message: `imports ${e.to}` });
    }
    const transport = e.to && TRANSPORT_DIRS.find((d) => e.to!.startsWith(d));
    if (transport && e.from.startsWith("agent/") && !e.from.startsWith("agent/protocol/")) {
      violations.push({
        rule: `only agent/protocol/ imports ${transport}`,
        file: e.from,
        message: `imports ${e.to} (go through agent/protocol/brokers.ts and transport.ts)`,
      });
    }
    if (e.from === SCHEMA_ENUMS) {
      violations.push({ rule: "the schema's enums import nothing", file: e.from, message: `imports "${e.specifier}"` });
    } else if (inSchema(e.from)) {
      const bare = e.specifier.replace(/^node:/, "").split("/")[0]!;
      if (e.specifier.startsWith("node:") || NODE_BUILTINS.has(bare)) {
        violations.push({ rule: "the schema imports nothing from Node", file: e.from, message: `imports "${e.specifier}"` });
      } else if (e.to && !inSchema(e.to)) {
        violations.push({ rule: "the schema imports nothing from the agent", file: e.from, message: `imports ${e.to}` });
      }
    }
    if (e.from.startsWith("extension/") && e.to?.startsWith("agent/") && !inSchema(e.to)) {
      violations.push({ rule: "extension/ imports nothing from agent/ but the schema", file: e.from, message: `imports ${e.to}` });
    }
  }
  for (const { path, group } of importCycles(edges.filter((e) => e.from.startsWith("agent/") && e.to?.startsWith("agent/")))) {
    const others = group.filter((f) => !path.includes(f));
    const more = others.length ? ` (and through ${others.join(", ")})` : "";
    violations.push({ rule: "no import cycles in agent/", file: path[0]!, message: `cycle: ${path.join(" -> ")}${more}` });
  }
  return violations;
}

/**
 * The groups of files that import each other, through others or not (Tarjan's strongly connected
 * components), each with one cycle through it: a path from its first file back to that file.
 */
export function importCycles(edges: readonly ImportEdge[]): { path: string[]; group: string[] }[] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || next.get(v)?.includes(v)) groups.push(group);
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) connect(v);
  return groups.map((g) => {
    const group = g.sort();
    return { path: cycleThrough(group[0]!, new Set(group), next), group };
  });
}

/** The shortest path from `start` back to itself inside its group (breadth first). */
function cycleThrough(start: string, group: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = cameFrom.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The checked files under `root`, read from disk. */
export function readSources(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
      const full = resolve(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) files.set(relative(root, full).split(sep).join("/"), readFileSync(full, "utf8"));
    }
  };
  for (const dir of CHECKED_DIRS) {
    try {
      walk(resolve(root, dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return files;
}

function main(): void {
  const { values } = parseArgs({ options: { root: { type: "string" } }, strict: true, allowPositionals: false });
  const root = values.root ? resolve(values.root) : resolve(fileURLToPath(import.meta.url), "../..");
  const files = readSources(root);
  const violations = checkImports(files);
  for (const v of violations) console.error(`${v.file}: ${v.message} (rule: ${v.rule})`);
  if (violations.length) {
    console.error(`check-imports: ${violations.length} import${violations.length === 1 ? "" : "s"} against the layering (see scripts/check-imports.ts)`);
    process.exit(1);
  }
  console.log(`check-imports: ${files.size} files, imports in order`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
