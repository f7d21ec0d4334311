// The import-direction check (scripts/check-imports.ts): small sets of files in memory, each
// breaking one rule, must be caught; the repository itself must pass, run as `npm test` runs it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { checkImports, importSpecifiers } from "../../scripts/check-imports";

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));
const rules = (v: ReturnType<typeof checkImports>) => v.map((x) => `${x.file}: ${x.message} [${x.rule}]`);

/** A clean little agent: each layer imports the one below. */
const CLEAN = {
  "agent/base/mask.ts": `export const MASK = "********";`,
  "agent/protocol/url.ts": `import { MASK } from "../base/mask";\nexport const url = MASK;`,
  "agent/sources/store.ts": `import { url } from "../protocol/url";\nexport class Store { u = url; }`,
  "agent/runtime/agent.ts": `import { Store } from "../sources/store";\nexport class Agent { s = new Store(); }`,
  "agent/handlers/health.ts": `import type { Agent } from "../runtime/agent";\nexport const health = (a: Agent) => a.s;`,
  "agent/http/app.ts": `import { health } from "../handlers/health";\nexport const app = health;`,
  "agent/api/schema/enums.ts": `export const STATES = ["PENDING"] as const;`,
  "agent/api/schema/health.ts": `import * as z from "zod/mini";\nimport { STATES } from "./enums";\nexport const Health = z.object({ state: z.enum(STATES) });`,
  "agent/api/schema/index.ts": `export * from "./enums";\nexport * from "./health";`,
  "extension/client.ts": `import { Health } from "../agent/api/schema";\nexport const h = Health;`,
};

describe("check-imports", () => {
  test("a clean set of files passes", () => {
    assert.deepEqual(rules(checkImports(files(CLEAN))), []);
  });

  test("an upward import is caught, whatever its form", () => {
    const v = checkImports(
      files({
        ...CLEAN,
        "agent/protocol/url.ts": `import type { Store } from "../sources/store";\nexport type S = Store;`,
        "agent/sources/store.ts": `export { health } from "../handlers/health";`,
        "agent/handlers/health.ts": `export const load = () => import("../http/static");`,
        "agent/http/static.ts": `export const page = "<html>";`,
      }),
    );
    assert.deepEqual(rules(v).sort(), [
      "agent/handlers/health.ts: imports agent/http/static.ts [agent/handlers/ imports nothing from agent/http/]",
      "agent/protocol/url.ts: imports agent/sources/store.ts [agent/protocol/ imports nothing from agent/sources/]",
      "agent/sources/store.ts: imports agent/handlers/health.ts [agent/sources/ imports nothing from agent/handlers/]",
    ]);
  });

  test("sources importing a file at the top of agent/ (the log as it was) is upward", () => {
    const v = checkImports(files({ ...CLEAN, "agent/log.ts": `export const log = 1;`, "agent/sources/store.ts": `import { log } from "../log";` }));
    assert.deepEqual(rules(v), ["agent/sources/store.ts: imports agent/log.ts [agent/sources/ imports nothing from agent/*]"]);
  });

  test("a cycle is reported with its path, through every file in it", () => {
    const v = checkImports(
      files({
        ...CLEAN,
        "agent/handlers/context.ts": `import { describe } from "./django";\nexport type Ctx = 1;`,
        "agent/handlers/django.ts": `import type { Ctx } from "./context";\nimport { x } from "./helper";\nexport const describe = (c: Ctx) => x;`,
        "agent/handlers/helper.ts": `import { describe } from "./django";\nexport const x = describe;`,
      }),
    );
    assert.deepEqual(rules(v), [
      "agent/handlers/context.ts: cycle: agent/handlers/context.ts -> agent/handlers/django.ts -> agent/handlers/context.ts (and through agent/handlers/helper.ts) [no import cycles in agent/]",
    ]);
  });

  test("the schema imports nothing from Node nor the agent; the extension only the schema", () => {
    const v = checkImports(
      files({
        ...CLEAN,
        "agent/api/schema/health.ts": `import { readFileSync } from "node:fs";\nimport { EventEmitter } from "events";\nimport { MASK } from "../../base/mask";`,
        "extension/client.ts": `import { MASK } from "../agent/base/mask";\nimport { Health } from "../agent/api/schema";`,
      }),
    );
    assert.deepEqual(rules(v).sort(), [
      'agent/api/schema/health.ts: imports "events" [the schema imports nothing from Node]',
      'agent/api/schema/health.ts: imports "node:fs" [the schema imports nothing from Node]',
      "agent/api/schema/health.ts: imports agent/base/mask.ts [the schema imports nothing from the agent]",
      "extension/client.ts: imports agent/base/mask.ts [extension/ imports nothing from agent/ but the schema]",
    ]);
  });

  test("sources importing the contract is upward, a type import too: presentation belongs to the handlers", () => {
    const typeOnly = files({ ...CLEAN, "agent/sources/present.ts": `import type { Health } from "../api/schema";` });
    assert.deepEqual(rules(checkImports(typeOnly)), [
      "agent/sources/present.ts: imports agent/api/schema/index.ts [agent/sources/ imports nothing from agent/api/]",
    ]);
    const fromHandlers = files({ ...CLEAN, "agent/handlers/present.ts": `import type { Health } from "../api/schema";` });
    assert.deepEqual(rules(checkImports(fromHandlers)), []);
  });

  test("any layer may import the schema's enums, values too; the enums import nothing", () => {
    const ok = files({ ...CLEAN, "agent/protocol/url.ts": `import { STATES } from "../api/schema/enums";\nexport const url = STATES[0];` });
    assert.deepEqual(rules(checkImports(ok)), []);
    const v = checkImports(
      files({
        ...CLEAN,
        "agent/api/schema/enums.ts": `import * as z from "zod/mini";\nexport const STATES = ["PENDING"] as const;`,
        "agent/sources/store.ts": `import { Health } from "../api/schema/health";`,
      }),
    );
    assert.deepEqual(rules(v).sort(), [
      'agent/api/schema/enums.ts: imports "zod/mini" [the schema\'s enums import nothing]',
      "agent/sources/store.ts: imports agent/api/schema/health.ts [agent/sources/ imports nothing from agent/api/]",
    ]);
  });

  test("only agent/protocol/ imports a concrete transport (protocol/redis/), type imports too; tests may", () => {
    const v = checkImports(
      files({
        ...CLEAN,
        "agent/protocol/redis/broker.ts": `import { MASK } from "../../base/mask";\nexport class RedisBroker { m = MASK; }`,
        "agent/protocol/brokers.ts": `import { RedisBroker } from "./redis/broker";\nexport const open = () => new RedisBroker();`,
        "agent/runtime/agent.ts": `import type { RedisBroker } from "../protocol/redis/broker";\nimport { open } from "../protocol/brokers";\nexport type B = RedisBroker;`,
        "agent/options.ts": `import { RedisBroker } from "./protocol/redis/broker";\nexport const b = RedisBroker;`,
        "test/unit/broker.test.ts": `import { RedisBroker } from "../../agent/protocol/redis/broker";`,
      }),
    );
    assert.deepEqual(rules(v).sort(), [
      "agent/options.ts: imports agent/protocol/redis/broker.ts (go through agent/protocol/brokers.ts and transport.ts) [only agent/protocol/ imports agent/protocol/redis/]",
      "agent/runtime/agent.ts: imports agent/protocol/redis/broker.ts (go through agent/protocol/brokers.ts and transport.ts) [only agent/protocol/ imports agent/protocol/redis/]",
    ]);
  });

  test("a relative import that names no file is reported: it would escape every rule", () => {
    const v = checkImports(files({ ...CLEAN, "agent/sources/store.ts": `import { x } from "../protocl/url";\nimport "./style.css";` }));
    assert.deepEqual(rules(v), ['agent/sources/store.ts: imports "../protocl/url", which names no file [resolves]']);
  });

  test("type-only imports are told apart from value imports", () => {
    const found = importSpecifiers(
      "a.ts",
      `import type { A } from "./a";\nimport { type B, C } from "./b";\nimport { type D } from "./d";\nexport type { E } from "./e";\ntype F = typeof import("./f");`,
    );
    assert.deepEqual(found, [
      { specifier: "./a", typeOnly: true },
      { specifier: "./b", typeOnly: false },
      { specifier: "./d", typeOnly: true },
      { specifier: "./e", typeOnly: true },
      { specifier: "./f", typeOnly: true },
    ]);
  });

  test("the script exits 1 and names the import on a tree that breaks a rule, 0 on this repository", async () => {
    const run = promisify(execFile);
    const script = join(import.meta.dirname, "../../scripts/check-imports.ts");
    const root = mkdtempSync(join(tmpdir(), "check-imports-"));
    try {
      for (const [path, text] of Object.entries({ ...CLEAN, "agent/protocol/url.ts": `import { Store } from "../sources/store";` })) {
        mkdirSync(join(root, dirname(path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      const broken = await run(process.execPath, ["--import", "tsx", script, "--root", root]).then(
        () => assert.fail("the check passed a tree with an upward import"),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /agent\/protocol\/url\.ts: imports agent\/sources\/store\.ts/);
      const ours = await run(process.execPath, ["--import", "tsx", script]);
      assert.match(ours.stdout, /imports in order/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
