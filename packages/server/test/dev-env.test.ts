import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../src/dev/dev-server.js";

/** Answers what the function can see of three variables ("denied" when it may not read one). */
const GREET = `
const read = (name) => { try { return Deno.env.get(name) ?? null; } catch { return "denied"; } };
Deno.serve(() => Response.json({ greeting: read("GREETING"), only: read("ONLY_ENV"), path: read("PATH") }));
`;

let dir: string;
let dev: DevServer;
const printed: { kind: string; message: string }[] = [];
const greet = async () =>
  (await (await fetch(`${dev.server.url}/functions/greet`)).json()) as {
    greeting: string | null;
    only: string | null;
    path: string | null;
  };
/** Writes a file in the project root and waits for the dev server to reload. */
const edit = async (file: string, text: string | undefined) => {
  const reloaded = dev.reloaded();
  if (text === undefined) await rm(join(dir, file));
  else await writeFile(join(dir, file), text);
  await reloaded;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-dev-env-"));
  await mkdir(join(dir, "base44/functions/greet"), { recursive: true });
  await writeFile(join(dir, "base44/config.jsonc"), "{}\n");
  await writeFile(join(dir, "base44/functions/greet/entry.ts"), GREET);
  await writeFile(
    join(dir, ".env"),
    '# secrets for dev\nexport GREETING="hello from .env"\nONLY_ENV=kept # comment\nPATH=/nope\n1BAD=x\n',
  );
  dev = await startDevServer({
    dir,
    port: 0,
    dataDir: join(dir, ".fnbase"),
    debounceMs: 50,
    idleTimeoutMs: 5_000,
    print: (kind, message) => printed.push({ kind, message }),
  });
}, 120_000);
afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("fnbase dev secrets from .env and .env.local", () => {
  it("gives functions the .env values and reports the names it skipped", async () => {
    const body = await greet();
    expect(body).toMatchObject({ greeting: "hello from .env", only: "kept" });
    expect(body.path).not.toBe("/nope");
    const problems = printed.filter((p) => p.kind === "problem").map((p) => p.message);
    expect(problems).toEqual([
      '.env:5: Invalid variable name: "1BAD"',
      '.env: Reserved secret name: "PATH"',
    ]);
    expect(printed).toContainEqual({ kind: "info", message: "Loaded 2 secret(s) from .env" });
  }, 60_000);

  it("lets .env.local override .env, and an edit reaches the next request", async () => {
    await edit(".env.local", "GREETING='hello from .env.local'\n");
    expect(await greet()).toMatchObject({ greeting: "hello from .env.local", only: "kept" });
    await edit(".env.local", "GREETING=edited\n");
    expect(await greet()).toMatchObject({ greeting: "edited" });
    await edit(".env.local", undefined);
    expect(await greet()).toMatchObject({ greeting: "hello from .env" });
  }, 60_000);

  it("removes a secret whose name left the file", async () => {
    await edit(".env", "GREETING=only this\n");
    const body = await greet();
    expect(body.greeting).toBe("only this");
    expect([null, "denied"]).toContain(body.only);
    const res = await dev.server.api.request(`/api/apps/${dev.appId}/secrets`, {
      headers: { api_key: dev.server.adminKey ?? "" },
    });
    expect(Object.keys((await res.json()) as object)).toEqual(["GREETING"]);
  }, 60_000);

  it("reports a bad line on reload and keeps serving", async () => {
    const before = printed.length;
    await edit(".env", "GREETING=still fine\nDENO_DIR=/tmp/x\nnot an assignment\n");
    expect(printed.slice(before).filter((p) => p.kind === "problem")).toEqual([
      { kind: "problem", message: '.env:3: Expected NAME=value: "not an assignment"' },
      { kind: "problem", message: '.env: Reserved secret name: "DENO_DIR"' },
    ]);
    expect(await greet()).toMatchObject({ greeting: "still fine" });
  }, 60_000);
});
