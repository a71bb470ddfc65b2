import { describe, expect, it } from "vitest";
import type { DeployFile } from "../store/index.js";
import { functionImportMap, type ImportMap, rewriteWithImportMap } from "./import-maps.js";

const map = (imports: Record<string, string>, scopes: ImportMap["scopes"] = {}): ImportMap => ({
  imports,
  scopes,
  file: "functions/fn/deno.json",
});

describe("rewriteWithImportMap()", () => {
  it.each([
    // exact keys, to npm:, jsr:, https: and files of the deployment
    ['import { z } from "zod";', { zod: "npm:zod@3.23.8" }, 'import { z } from "npm:zod@3.23.8";'],
    [
      "import { a } from 'std/assert';",
      { "std/assert": "jsr:@std/assert@1" },
      "import { a } from 'jsr:@std/assert@1';",
    ],
    ['import x from "util";', { util: "./lib/util.ts" }, 'import x from "./lib/util.ts";'],
    [
      'import x from "shared";',
      { shared: "../../shared/x.ts" },
      'import x from "../../shared/x.ts";',
    ],
    // prefix keys (ending in /)
    ['import x from "@/lib/util.ts";', { "@/": "./" }, 'import x from "./lib/util.ts";'],
    // a shorter target is padded so that columns stay
    [
      'import x from "a-long-package-name"; f();',
      { "a-long-package-name": "npm:x" },
      'import x from "npm:x"              ; f();',
    ],
    [
      'export * from "lodash/fp";',
      { "lodash/": "npm:lodash@4/" },
      'export * from "npm:lodash@4/fp";',
    ],
    // dynamic imports with a literal, and JSON imports
    [
      'const m = await import("zod");',
      { zod: "npm:zod@3" },
      'const m = await import("npm:zod@3");',
    ],
    [
      'import c from "cfg" with { type: "json" };',
      { cfg: "./config.json" },
      'import c from "./config.json" with { type: "json" };',
    ],
    // the server's specifiers are never replaced
    [
      'import { createClient } from "@base44/sdk";',
      { "@base44/sdk": "npm:evil@1" },
      'import { createClient } from "@base44/sdk";',
    ],
    [
      'import { secrets } from "base44:runtime";',
      { "base44:runtime": "./fake.ts" },
      'import { secrets } from "base44:runtime";',
    ],
    [
      'import { x } from "npm:@base44/sdk@0.7.1";',
      { "npm:@base44/sdk@0.7.1": "npm:evil" },
      'import { x } from "npm:@base44/sdk@0.7.1";',
    ],
    [
      'import { x } from "@fnbase/sdk";',
      { "@fnbase/sdk": "npm:evil" },
      'import { x } from "@fnbase/sdk";',
    ],
    // what the map does not name stays; strings and comments too
    [
      'import x from "./local.ts"; // "zod"\nconst s = "zod";',
      { zod: "npm:zod" },
      'import x from "./local.ts"; // "zod"\nconst s = "zod";',
    ],
    // a computed specifier is not mapped
    ["const m = await import(name);", { zod: "npm:zod" }, "const m = await import(name);"],
  ])("%s", async (code, imports, expected) => {
    expect(await rewriteWithImportMap("functions/fn/entry.ts", code, map(imports))).toBe(expected);
  });

  it("maps a key that is a path of the deployment, and follows scopes", async () => {
    const m = map({ "./old.ts": "./new.ts", dep: "npm:dep@1" }, { "./lib/": { dep: "npm:dep@2" } });
    expect(await rewriteWithImportMap("functions/fn/entry.ts", 'import "./old.ts";', m)).toBe(
      'import "./new.ts";',
    );
    expect(await rewriteWithImportMap("functions/fn/entry.ts", 'import "dep";', m)).toBe(
      'import "npm:dep@1";',
    );
    expect(await rewriteWithImportMap("functions/fn/lib/a.ts", 'import "dep";', m)).toBe(
      'import "npm:dep@2";',
    );
  });

  it("writes targets relative to each module, shared code included", async () => {
    const m = map({ "@/": "./lib/" });
    expect(await rewriteWithImportMap("shared/x.ts", 'import "@/a.ts";', m)).toBe(
      'import "../functions/fn/lib/a.ts";',
    );
  });

  it("reads TypeScript the lexer cannot", async () => {
    const code = 'import { z } from "zod";\nconst n = a! / b;\nconst el = <div>{n}</div>;';
    expect(
      await rewriteWithImportMap("functions/fn/entry.tsx", code, map({ zod: "npm:zod" })),
    ).toBe(code.replace('"zod"', '"npm:zod"'));
  });
});

describe("functionImportMap()", () => {
  const files = (entries: Record<string, string>): DeployFile[] =>
    Object.entries(entries).map(([path, content]) => ({ path, content }));

  it("reads deno.json, deno.jsonc (comments allowed), its importMap, or import_map.json", () => {
    expect(functionImportMap("fn", files({ "deno.json": '{"imports":{"a":"npm:a"}}' }))).toEqual({
      imports: { a: "npm:a" },
      scopes: {},
      file: "functions/fn/deno.json",
    });
    expect(
      functionImportMap("fn", files({ "deno.jsonc": '{ // x\n "imports": { "a": "npm:a", }, }' }))
        ?.imports,
    ).toEqual({ a: "npm:a" });
    expect(
      functionImportMap(
        "fn",
        files({
          "deno.json": '{"importMap":"./maps/m.json"}',
          "maps/m.json": '{"imports":{"b":"./x.ts"}}',
        }),
      ),
    ).toEqual({ imports: { b: "./x.ts" }, scopes: {}, file: "functions/fn/maps/m.json" });
    expect(
      functionImportMap(
        "fn",
        files({ "deno.json": '{"lint":{}}', "import_map.json": '{"imports":{"c":"npm:c"}}' }),
      )?.file,
    ).toBe("functions/fn/import_map.json");
    expect(functionImportMap("fn", files({ "entry.ts": "" }))).toBeUndefined();
  });

  it.each([
    ['{"imports": ', /deno\.json: line 1/],
    ['{"imports": {"a": 1}}', /"imports" must map specifiers to strings/],
    ['{"scopes": []}', /"scopes" must be an object/],
    ["[]", /must be a JSON object/],
    ['{"importMap": "./missing.json"}', /is not among the files/],
  ])("refuses %s", (text, message) => {
    expect(() => functionImportMap("fn", files({ "deno.json": text }))).toThrow(message);
  });
});
