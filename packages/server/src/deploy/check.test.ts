import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runtimeSrcDir } from "@fnbase/runtime";
import { createLogger, type FnbaseError } from "@fnbase/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveDenoPath } from "../runtime/deno-binary.js";
import { writeImportMap } from "../runtime/import-map.js";
import { CodeChecker } from "./check.js";
import { rewriteSdkImports } from "./sdk-imports.js";

let dir: string;
let checker: CodeChecker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-check-"));
  const map = await writeImportMap(join(dir, "runtime"));
  checker = new CodeChecker({
    denoPath: resolveDenoPath(),
    cacheDir: join(dir, "check-cache"),
    imports: (JSON.parse(await readFile(map.path, "utf8")) as { imports: Record<string, string> })
      .imports,
    readable: [runtimeSrcDir, ...map.readable],
    timeoutMs: 15_000,
    log: createLogger({}, { level: "silent" }),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/**
 * Writes `files` (paths relative to the function folder `functions/fn/`, as a deploy body
 * names them) as the deployer does, SDK imports rewritten, and checks them; the error or null.
 */
async function check(files: Record<string, string>, entry = "entry.ts") {
  const root = join(dir, `d${n++}`);
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, "functions", "fn", path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, await rewriteSdkImports(path, content));
  }
  try {
    await checker.check(root, "fn", entry);
    return null;
  } catch (err) {
    const e = err as FnbaseError;
    return { code: e.code, message: e.message, location: e.location, hint: e.hint };
  }
}

const serve = 'Deno.serve(() => new Response("ok"));\n';

describe("CodeChecker (deno info on the deployment)", () => {
  it.each([
    ["a plain function", { "entry.ts": serve }],
    ["a default export", { "entry.ts": "export default { fetch: () => new Response('ok') };\n" }],
    ["JavaScript", { "entry.js": serve }, "entry.js"],
    [
      "every form of the Base44 SDK import the deployer rewrites",
      {
        "entry.ts": `import { createClient } from "npm:@base44/sdk";
import a from "npm:@base44/sdk@0.7.1";
import b from 'npm:@base44/sdk@^0.8.0';
import c from "npm:@base44/sdk@latest/dist/index.js";
export { createClientFromRequest } from "npm:@base44/sdk@0.8.25";
import d from "@base44/sdk";
const e = await import("npm:@base44/sdk@0.8.31");
${serve}`,
      },
    ],
    [
      "the runtime module, @fnbase/sdk, node:, npm: and jsr: packages, remote and data: URLs",
      {
        "entry.ts": `import { secrets, waitUntil } from "base44:runtime";
import { createClient } from "@fnbase/sdk";
import * as fs from "node:fs";
import leftPad from "npm:left-pad@1.3.0";
import { z } from "npm:zod@^3/lib/index.js";
import * as path from "jsr:@std/path@^1.0.0";
import * as x from "https://deno.land/std@0.224.0/path/mod.ts";
import * as y from "data:text/javascript,export default 1";
${serve}`,
      },
    ],
    [
      "shared code, JSON and a type-only import of a missing file",
      {
        "entry.ts": `import { x } from "../../shared/util.ts";
import data from "./data.json" with { type: "json" };
import type { Missing } from "./types.ts";
${serve}`,
        "../../shared/util.ts": "export const x = 1;\n",
        "data.json": '{ "a": 1 }\n',
      },
    ],
    [
      "a dynamic import of a file that is not there (it may be optional)",
      { "entry.ts": `try { await import("./optional.ts"); } catch {}\n${serve}` },
    ],
  ])("accepts %s", async (_, files, entry?: string) => {
    expect(await check(files, entry)).toBeNull();
  });

  it.each([
    [
      "a syntax error, at its line and column, with one SyntaxError prefix",
      { "entry.ts": `Deno.serve((req) => {\n  const a = ;\n  return new Response(a);\n});\n` },
      "base44/functions/fn/entry.ts:2:13: SyntaxError: Expression expected",
      { file: "base44/functions/fn/entry.ts", line: 2, column: 13 },
    ],
    [
      "a syntax error in shared code, at its own place",
      {
        "entry.ts": `import { x } from "../../shared/util.ts";\n${serve}`,
        "../../shared/util.ts": "export const x = ;\n",
      },
      "base44/shared/util.ts:1:18: SyntaxError: Expression expected",
      { file: "base44/shared/util.ts", line: 1, column: 18 },
    ],
    [
      "an import of a file that was not deployed",
      { "entry.ts": `import { x } from "./lib.ts";\n${serve}` },
      'base44/functions/fn/entry.ts:1:19: Module not found: "./lib.ts"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 19 },
    ],
    [
      "a relative import without its extension",
      {
        "entry.ts": `\nimport { x } from "./lib";\n${serve}`,
        "lib.ts": "export const x = 1;\n",
      },
      'base44/functions/fn/entry.ts:2:19: Module not found: "./lib" (a relative import needs its file extension)',
      { file: "base44/functions/fn/entry.ts", line: 2, column: 19 },
    ],
    [
      "a missing file imported by another module",
      {
        "entry.ts": `import "./a.ts";\n${serve}`,
        "a.ts": `export * from "./b.ts";\n`,
      },
      'base44/functions/fn/a.ts:1:15: Module not found: "./b.ts"',
      { file: "base44/functions/fn/a.ts", line: 1, column: 15 },
    ],
    [
      "a bare package name",
      { "entry.ts": `import _ from "lodash";\n${serve}` },
      'base44/functions/fn/entry.ts:1:15: Cannot resolve import "lodash": a bare name needs "npm:" or "jsr:"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
    [
      "a malformed npm: specifier",
      { "entry.ts": `import x from "npm:@scope";\n${serve}` },
      'base44/functions/fn/entry.ts:1:15: Invalid package specifier "npm:@scope"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
    [
      "an empty jsr: specifier",
      { "entry.ts": `import x from "jsr:";\n${serve}` },
      'base44/functions/fn/entry.ts:1:15: Invalid package specifier "jsr:"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
    [
      "a file outside the deployment, which the check never reads",
      { "entry.ts": `import x from "/dev/zero";\n${serve}` },
      'base44/functions/fn/entry.ts:1:15: Import of a file outside the deployed files: "/dev/zero"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
    [
      "a path that climbs out of the deployment",
      { "entry.ts": `import x from "../../../../../../../../etc/hostname";\n${serve}` },
      "Import of a file outside the deployed files",
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
    [
      "an unknown scheme",
      { "entry.ts": `import x from "bad:thing";\n${serve}` },
      'base44/functions/fn/entry.ts:1:15: Unsupported import "bad:thing"',
      { file: "base44/functions/fn/entry.ts", line: 1, column: 15 },
    ],
  ])("refuses %s", async (_, files, message, location) => {
    const r = await check(files);
    expect(r?.code).toBe("INVALID_CODE");
    expect(r?.message).toMatch(/^Cannot deploy "fn": base44\//);
    expect(r?.message).toContain(message);
    expect(r?.message).not.toMatch(/TypeError|file:\/\/|\/tmp\//);
    expect(r?.location).toEqual(location);
  });

  it("names the first problem and counts the others", async () => {
    const r = await check({
      "entry.ts": `import "./a.ts";\nimport "./b.ts";\nimport "lodash";\n${serve}`,
    });
    expect(r?.message).toBe(
      'Cannot deploy "fn": base44/functions/fn/entry.ts:1:8: Module not found: "./a.ts" (and 2 more)',
    );
  });
});
