/**
 * Issue 16, item 2: broken code is refused at deploy, with `file:line:column` relative to the
 * project, by `fnbase deploy` (an error, exit 1) and by `fnbase dev` ("Reload failed"); the last
 * good version keeps serving.
 */
import { cp, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  cli,
  cliJson,
  fnSource,
  spawnCli,
  type TestServer,
  withServerAndDir,
  writeFiles,
} from "./helpers.js";

const QUICKSTART = resolve(dirname(fileURLToPath(import.meta.url)), "../../../examples/quickstart");

let t: TestServer;
let dir: string;

withServerAndDir((server, folder) => {
  t = server;
  dir = folder;
});

/** `fnbase init <name>`, an app linked to it; the project's root. */
async function project(name: string): Promise<string> {
  expect((await cli(["init", name], { cwd: dir, env: t.env() })).code).toBe(0);
  const root = join(dir, name);
  const app = await cliJson<{ id: string }>(["apps", "create", name], { cwd: root, env: t.env() });
  expect((await cli(["link", app.json.id], { cwd: root, env: t.env() })).code).toBe(0);
  return root;
}

const BROKEN = `Deno.serve((req) => {
  const a = ;
  return new Response(a);
});
`;

describe("fnbase deploy refuses code that cannot start (issue 16, item 2)", () => {
  it("a syntax error fails the deploy with its place in the project; the last version serves", async () => {
    const root = await project("syntax");
    await writeFiles(root, { "base44/functions/hello/entry.ts": fnSource("hello") });
    expect((await cli(["deploy"], { cwd: root, env: t.env() })).code).toBe(0);

    await writeFiles(root, { "base44/functions/hello/entry.ts": BROKEN });
    const r = await cli(["deploy"], { cwd: root, env: t.env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'hello error: Cannot deploy "hello": base44/functions/hello/entry.ts:2:13: SyntaxError: Expression expected',
    );
    expect(r.stdout).toContain("1 failed");
    expect(r.stdout + r.stderr).not.toMatch(/TypeError|file:\/\/|fnbase-cli-/);

    const invoked = await cli(["invoke", "hello"], { cwd: root, env: t.env() });
    expect(invoked.stdout).toContain('"fn":"hello"');
  });

  it("names a missing import, a relative import without extension and a bare name", async () => {
    const root = await project("imports");
    await writeFiles(root, {
      "base44/functions/hello/entry.ts": `import { x } from "../../shared/util";\n${fnSource("hello")}`,
      "base44/shared/util.ts": "export const x = 1;\n",
      "base44/functions/other/entry.ts": `import _ from "lodash";\n${fnSource("other")}`,
    });
    const r = await cliJson<{ functions: { name: string; error?: string; code?: string }[] }>(
      ["deploy"],
      { cwd: root, env: t.env() },
    );
    expect(r.code).toBe(1);
    expect(r.json.functions).toEqual([
      {
        name: "hello",
        status: "error",
        code: "INVALID_CODE",
        error:
          'Cannot deploy "hello": base44/functions/hello/entry.ts:1:19: Module not found: "../../shared/util" (a relative import needs its file extension)',
      },
      {
        name: "other",
        status: "error",
        code: "INVALID_CODE",
        error:
          'Cannot deploy "other": base44/functions/other/entry.ts:1:15: Cannot resolve import "lodash": a bare name needs "npm:" or "jsr:" (or "./" for a file)',
      },
    ]);
  });

  it("a project with another functionsDir sees its own paths", async () => {
    const root = join(dir, "custom-dir");
    await writeFiles(root, {
      "base44/config.jsonc": '{ "name": "custom", "functionsDir": "./src/fns" }\n',
      "base44/src/fns/hello/entry.ts": BROKEN,
    });
    const app = await cliJson<{ id: string }>(["apps", "create", "custom"], {
      cwd: root,
      env: t.env(),
    });
    await cli(["link", app.json.id], { cwd: root, env: t.env() });
    const r = await cli(["deploy"], { cwd: root, env: t.env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("base44/src/fns/hello/entry.ts:2:13: SyntaxError");
  });
});

describe("fnbase dev refuses code that cannot start (issue 16, item 2)", () => {
  it("says Reload failed with the place, keeps serving the last version, reloads once fixed", async () => {
    const root = join(dir, "dev");
    await writeFiles(root, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/hello/entry.ts": fnSource("hello", 1),
    });
    const dev = spawnCli(["dev", root, "--port", "0", "--no-check"], { cwd: dir, env: t.env() });
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      await dev.waitFor(/Watching/);
      await writeFile(join(root, "base44/functions/hello/entry.ts"), BROKEN);
      await dev.waitFor(
        /problem Reload failed for hello: base44\/functions\/hello\/entry\.ts:2:13: SyntaxError: Expression expected; the last version that deployed keeps serving/,
      );
      expect(dev.output()).not.toMatch(/TypeError|file:\/\//);
      const res = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
      expect(await res.json()).toMatchObject({ fn: "hello", v: 1 });

      await writeFile(join(root, "base44/functions/hello/entry.ts"), fnSource("hello", 2));
      await dev.waitFor(/reload Reloaded hello/);
      const again = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
      expect(await again.json()).toMatchObject({ v: 2 });
    } finally {
      await dev.stop();
    }
  });

  it("warns of type errors after a reload (the function runs anyway), and says when they are gone", async () => {
    const root = join(dir, "dev-types");
    await writeFiles(root, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/hello/entry.ts": fnSource("hello", 1),
    });
    const dev = spawnCli(["dev", root, "--port", "0"], { cwd: dir, env: t.env() });
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      await dev.waitFor(/Watching/);
      await writeFile(
        join(root, "base44/functions/hello/entry.ts"),
        `const n: number = "three";\n${fnSource("hello", 2)}`,
      );
      await dev.waitFor(/reload Reloaded hello/);
      await dev.waitFor(
        /warning Type errors in hello \(it runs anyway: Deno does not check types when it runs code\): base44\/functions\/hello\/entry\.ts:1:7: TS2322 Type 'string' is not assignable to type 'number'\./,
        60_000,
      );
      const res = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
      expect(await res.json()).toMatchObject({ v: 2 });
      await writeFile(join(root, "base44/functions/hello/entry.ts"), fnSource("hello", 3));
      await dev.waitFor(/warning No type errors left in hello/, 60_000);
    } finally {
      await dev.stop();
    }
  }, 120_000);

  it("types the SDKs by their own declarations: the quickstart has no type error, a misuse of either SDK is one, offline", async () => {
    const root = join(dir, "quickstart");
    await cp(QUICKSTART, root, {
      recursive: true,
      filter: (src) => !/[\\/](\.fnbase|\.types|\.app\.jsonc)$/.test(src),
    });
    // No registry: the SDKs' types must come with fnbase, and a package that needs the
    // registry is said to be unchecked, not clean.
    const env = t.env({ NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/" });
    const dev = spawnCli(["dev", root, "--port", "0"], { cwd: dir, env });
    try {
      await dev.waitFor(/ready at http/);
      // What `npm start` shows: every shipped function checks clean (entities of any name,
      // Base44Error's status), and says so once.
      const [said] = await dev.waitFor(/types No type errors in .*|warning .*/, 60_000);
      expect(said).toBe("types No type errors in the 8 functions (deno check)");

      await writeFiles(root, {
        "base44/functions/misuse/b44/entry.ts": `import { createClientFromRequest } from "npm:@base44/sdk@0.8.20";
Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const user = await base44.auth.me(1, 2, 3);
  const orders = await base44.entities.Order.list();
  return Response.json({ user, n: orders.size });
});
`,
        "base44/functions/misuse/fb/entry.ts": `import { createClientFromRequest } from "@fnbase/sdk";
Deno.serve(async (req) => {
  const fnbase = createClientFromRequest(req);
  const open = await fnbase.entities.Order.count({ status: "open" });
  return Response.json({ open: open.length });
});
`,
      });
      await dev.waitFor(
        /warning Type errors in misuse\/b44 \(it runs anyway[^)]*\): base44\/functions\/misuse\/b44\/entry\.ts:4:37: TS2554 Expected 0 arguments, but got 3\. \(and 1 more\)/,
        60_000,
      );
      await dev.waitFor(
        /warning Type errors in misuse\/fb \(it runs anyway[^)]*\): base44\/functions\/misuse\/fb\/entry\.ts:5:37: TS2339 Property 'length' does not exist on type 'number'\./,
        60_000,
      );

      await writeFiles(root, {
        "base44/functions/misuse/b44/entry.ts": `import odd from "npm:is-odd@3.0.1";\n${fnSource("b44")}`,
      });
      await dev.waitFor(
        /warning Could not check the types of misuse\/b44: Failed loading http:\/\/127\.0\.0\.1:9\/is-odd/,
        60_000,
      );
      expect(dev.output()).not.toMatch(/No type errors left in misuse\/b44/);
    } finally {
      await dev.stop();
    }
  }, 120_000);
});
