/**
 * A busy port's hint says how to pass --port the way the CLI was started: under `npm start`
 * npm takes `--port` as its own, so the hint says `npm start -- --port <port>`.
 */
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, cli, fnSource, tempDir, writeFiles } from "./helpers.js";

let root: string;
let holder: Server;
let port = 0;

beforeAll(async () => {
  root = await tempDir("fnbase-port-hint-");
  await writeFiles(root, {
    "base44/config.jsonc": "{}\n",
    "base44/functions/hello/entry.ts": fnSource("hello"),
  });
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, r));
  port = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => holder.close(r));
  await rm(root, { recursive: true, force: true });
});

describe("the busy-port hint", () => {
  it("says `npm start -- --port <port>` under npm start, `--port` otherwise", async () => {
    const viaNpm = await cli(["dev", root, "--port", String(port), "--data", join(root, "d1")], {
      cwd: root,
      env: baseEnv({ npm_command: "start", npm_lifecycle_event: "start" }),
    });
    expect(viaNpm.code).not.toBe(0);
    expect(viaNpm.stderr).toContain(`Port ${port} is already in use`);
    expect(viaNpm.stderr).toContain("pick another port with npm start -- --port <port>");

    const plain = await cli(["server", "--port", String(port), "--data", join(root, "d2")], {
      cwd: root,
      env: baseEnv({ npm_command: "", npm_lifecycle_event: "" }),
    });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain("pick another port with --port");
    expect(plain.stderr).not.toContain("npm start");
  }, 60_000);
});
