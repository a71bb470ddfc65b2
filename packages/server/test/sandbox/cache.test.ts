// Another app's code, looked for as a hostile function would: in every file under the data dir
// that holds it (deployments, lanes, Deno's transpiled copies and its V8 code cache), read,
// imported as a module and imported as JSON, also once the other app's instance is gone.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { attempt, HOSTILE } from "./hostile.js";

const SECRET = `sk_live_${randomBytes(12).toString("hex")}`;
const victim = (version: number) => ({
  entry: "entry.ts",
  files: [
    {
      path: "entry.ts",
      content: `import { KEY } from "../../shared/keys.ts";\nimport config from "./config.json" with { type: "json" };\nDeno.serve(() => Response.json({ version: ${version}, length: KEY.length + config.key.length }));\n`,
    },
    { path: "config.json", content: JSON.stringify({ key: SECRET }) },
    { path: "../../shared/keys.ts", content: `export const KEY: string = "${SECRET}";\n` },
  ],
});

let t: TestServer;
let attacker: string;
let owner: string;

/** Every file under `dir` (symlinks followed as the OS would) whose bytes hold the secret. */
async function holders(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes?.includes(SECRET)) out.push(path);
  }
  return out;
}

/** Has the attacker try every way in to `path`; fails on any that gives the secret away. */
async function expectSealed(path: string): Promise<void> {
  for (const op of ["read", "importFile", "importData", "importJson"]) {
    const r = await attempt(t, attacker, "hostile", op, path);
    expect(JSON.stringify(r), `${op} ${path}`).not.toContain(SECRET);
    expect(r.ok, `${op} ${path}: ${JSON.stringify(r)}`).toBe(false);
  }
}

beforeAll(async () => {
  t = await startTestServer();
  attacker = await t.createApp("attacker");
  owner = await t.createApp("owner");
  await t.deploy(attacker, "hostile", HOSTILE);
  await t.deploy(owner, "victim", victim(1));
  const res = await t.invoke(owner, "victim");
  expect(await res.json()).toEqual({ version: 1, length: SECRET.length * 2 });
  expect((await attempt(t, attacker, "hostile", "env")).ok).toBe(true);
}, 120_000);

afterAll(() => t?.close());

describe("another app's code", () => {
  it("is in Deno's module cache, where no instance can read or import it", async () => {
    const cache = join(t.dataDir, "deno-cache");
    const found = await holders(cache);
    // The transpiled copies (gen/, with inline source maps) at least: the test sees the cache.
    expect(found.some((p) => p.startsWith(join(cache, "gen")))).toBe(true);
    for (const path of found) await expectSealed(path);
    expect((await attempt(t, attacker, "hostile", "list", cache)).ok).toBe(false);
    expect((await attempt(t, attacker, "hostile", "list", join(cache, "gen"))).ok).toBe(false);
  });

  it("is in its deployment and its lane, where no instance can read or import it", async () => {
    const deployments = join(t.dataDir, "deployments", owner);
    const files = await holders(deployments);
    expect(files.length).toBeGreaterThanOrEqual(2);
    // The same files as the owner's running instance reaches them, through its lane.
    const root = join(t.dataDir, "code-links");
    const lanes: string[] = [];
    for (const run of await readdir(root)) {
      for (const lane of await readdir(join(root, run))) {
        lanes.push(join(root, run, lane));
        // A host process's lane (runtime "host") holds one numbered lane per Worker, and the
        // host's working directory, `app`, linking the app's functions' deployments.
        for (const w of await readdir(join(root, run, lane)).catch(() => [] as string[])) {
          if (/^\d+$/.test(w) || w === "app") lanes.push(join(root, run, lane, w));
        }
      }
    }
    const throughLanes: string[] = [];
    for (const lane of lanes) {
      for (const file of files) {
        const rel = file
          .slice(deployments.length + 1)
          .split("/")
          .slice(1)
          .join("/");
        const bytes = await readFile(join(lane, rel)).catch(() => undefined);
        if (bytes?.includes(SECRET)) throughLanes.push(join(lane, rel));
      }
    }
    expect(throughLanes.length).toBeGreaterThanOrEqual(2);
    for (const path of [...files, ...throughLanes]) await expectSealed(path);
  });

  it("cannot be imported statically either: the deploy is refused", async () => {
    const [file] = await holders(join(t.dataDir, "deployments", owner));
    expect(file).toBeDefined();
    const res = await t.admin(`/api/apps/${attacker}/backend-functions/static`, {
      method: "PUT",
      body: JSON.stringify({
        entry: "entry.ts",
        files: [
          {
            path: "entry.ts",
            content: `import * as m from "file://${file}";\nDeno.serve(() => Response.json(m));`,
          },
        ],
      }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: "INVALID_CODE" });
    expect(text).toContain("outside the deployed files");
    expect(text).not.toContain(SECRET);
    // Nothing was deployed: the name answers 404.
    expect((await t.invoke(attacker, "static")).status).toBe(404);
  });

  it("stays out of reach once its instance is gone", async () => {
    const before = await holders(join(t.dataDir, "deno-cache"));
    // A new version retires the old instance; its lane's transpiled copies stay in the cache.
    await t.deploy(owner, "victim", victim(2));
    expect(await (await t.invoke(owner, "victim")).json()).toMatchObject({ version: 2 });
    for (const path of [...before, ...(await holders(join(t.dataDir, "deno-cache")))]) {
      await expectSealed(path);
    }
  });
});
