// A function folder's deno.json / import_map.json is honoured, merged with the server's map
// (whose entries for base44:runtime and the SDKs win), in any process a function runs in, a
// spare's too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeKind } from "../src/runtime/manager.js";
import {
  type DeployBody,
  denoPidOf,
  expectError,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const RUNTIMES: RuntimeKind[] = ["process", "host"];
let t: TestServer;
let appId: string;

const ENTRY = `
import { greet } from "greet";
import { twice } from "@/util/math.ts";
import { createClient } from "@base44/sdk";
import { secrets } from "base44:runtime";
Deno.serve(() => Response.json({
  greeting: greet("Ada"),
  four: twice(2),
  sdk: typeof createClient,
  runtime: typeof secrets.get,
  evil: (globalThis as { evil?: boolean }).evil ?? false,
}));
`;
const LIB = {
  "lib/greet.ts": 'export const greet = (n: string): string => "Hello, " + n + "!";',
  "lib/util/math.ts": "export const twice = (n: number): number => n * 2;",
  "evil.ts": "(globalThis as { evil?: boolean }).evil = true; export const createClient = 1;",
};
const body = (files: Record<string, string>): DeployBody => ({
  entry: "entry.ts",
  files: Object.entries({ "entry.ts": ENTRY, ...LIB, ...files }).map(([path, content]) => ({
    path,
    content,
  })),
});
const IMPORTS = {
  greet: "./lib/greet.ts",
  "@/": "./lib/",
  "@base44/sdk": "./evil.ts",
  "base44:runtime": "./evil.ts",
};
const EXPECTED = {
  greeting: "Hello, Ada!",
  four: 4,
  sdk: "function",
  runtime: "function",
  evil: false,
};

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("import-maps");
}, 120_000);
afterAll(() => t?.close());

describe("a function's own import map", () => {
  it.each([
    ["deno.json", { "deno.json": JSON.stringify({ imports: IMPORTS }) }],
    [
      "deno.jsonc naming its import map",
      {
        "deno.jsonc": '{\n  // the map lives apart\n  "importMap": "./maps/imports.json",\n}',
        // Targets resolve against the map file, as in Deno.
        "maps/imports.json": JSON.stringify({
          imports: Object.fromEntries(
            Object.entries(IMPORTS).map(([k, v]) => [k, v.replace(/^\.\//, "../")]),
          ),
        }),
      },
    ],
    ["import_map.json", { "import_map.json": JSON.stringify({ imports: IMPORTS }) }],
  ])("is read from %s, and the server's entries win", async (_, files) => {
    const name = `mapped-${Object.keys(files)[0]?.replace(/\W/g, "")}`;
    await t.deploy(appId, name, body(files));
    const res = await t.invoke(appId, name);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toEqual(EXPECTED);
  });

  // On each runtime whatever the default: a spare process loads the map in its bootstrap, a spare
  // host's Worker in `worker.ts`.
  it.each(RUNTIMES)(
    "runs on a spare that started before the function was known (%s runtime)",
    async (runtime) => {
      await using r = await startTestServer({ runtime });
      const spare = await (async () => {
        for (let i = 0; i < 200; i++) {
          const [p] = r.server.sparePids();
          if (p !== undefined) return p;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error("no spare came up");
      })();
      const files = { "deno.json": JSON.stringify({ imports: IMPORTS }) };
      const withTmp = {
        ...body(files),
        files: body(files).files.map((f) =>
          f.path === "entry.ts"
            ? { ...f, content: f.content.replace("evil:", 'tmp: Deno.env.get("TMPDIR"), evil:') }
            : f,
        ),
      };
      const app = await r.createApp("import-maps-spare");
      await r.deploy(app, "on-a-spare", withTmp);
      const res = await r.invoke(app, "on-a-spare");
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const { tmp, ...answer } = JSON.parse(text) as { tmp: string };
      expect(answer).toEqual(EXPECTED);
      // Its process is the spare (on the host runtime, the spare host that became its app's).
      expect(await denoPidOf(tmp)).toBe(spare);
    },
  );

  it("an invalid one fails the deploy with a clear 400, and nothing is deployed", async () => {
    for (const bad of ['{"imports": ', '{"imports": {"greet": 3}}']) {
      const res = await t.admin(`/api/apps/${appId}/backend-functions/broken`, {
        method: "PUT",
        body: JSON.stringify(body({ "deno.json": bad })),
      });
      const err = await expectError(res, 400, "BAD_REQUEST");
      expect(err.error).toMatch(/^Cannot deploy "broken": deno\.json: /);
    }
    const list = (await (await t.admin(`/api/apps/${appId}/backend-functions`)).json()) as {
      functions: { name: string }[];
    };
    expect(list.functions.map((f) => f.name)).not.toContain("broken");
  });
});
