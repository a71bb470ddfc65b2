import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  fnSource,
  type LiveCli,
  spawnCli,
  startTestServer,
  type TestServer,
} from "./helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = (await t.server.createApp("logs-follow")).id;
  for (const name of ["hello", "other"]) {
    await t.server.deploy(appId, name, {
      entry: "entry.ts",
      files: [{ path: "entry.ts", content: fnSource(name) }],
    });
  }
});
afterAll(() => t?.close());

const invoke = async (name: string) => {
  const res = await fetch(`${t.server.url}/api/apps/${appId}/functions/${name}`, {
    method: "POST",
  });
  await res.text();
  expect(res.status).toBe(200);
};

/**
 * Calls `other` then `hello` until `re` shows on the child's stdout: the child subscribes a
 * moment after it starts, and a line written before that is (rightly) not streamed to it.
 */
async function invokeUntil(child: LiveCli, re: RegExp): Promise<RegExpMatchArray> {
  const limit = Date.now() + 20_000;
  for (;;) {
    await invoke("other");
    await invoke("hello");
    const m = child.output().match(re);
    if (m) return m;
    if (Date.now() > limit || child.child.exitCode !== null) return await child.waitFor(re, 0);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("fnbase logs -f", () => {
  it("streams a function's new lines as they are written, only for the functions asked", async () => {
    const child = spawnCli(["logs", "-f", "--function", "hello", "--app-id", appId], {
      cwd: t.root,
      env: t.env(),
    });
    try {
      const [line] = await invokeUntil(child, /^\S+ \[hello\] called hello v1$/m);
      expect(Number.isNaN(Date.parse(line?.split(" ")[0] ?? ""))).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(child.output()).not.toContain("[other]");
      expect(child.child.exitCode).toBeNull();
    } finally {
      await child.stop();
    }
  });

  it("says a line's level in words when it is not info (a pipe keeps no colours)", async () => {
    await t.server.deploy(appId, "loud", {
      entry: "entry.ts",
      files: [
        {
          path: "entry.ts",
          content:
            'Deno.serve(() => { console.warn("low on cheese"); console.error("out of cheese"); return new Response("ok"); });\n',
        },
      ],
    });
    await invoke("loud");
    // The lines reach the log store a moment after the answer: ask until both are there.
    const args = ["logs", "--function", "loud", "--app-id", appId, "--order", "asc"];
    let res = await cli(args, { cwd: t.root, env: t.env() });
    for (let i = 0; i < 40 && !res.stdout.includes("out of cheese"); i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await cli(args, { cwd: t.root, env: t.env() });
    }
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^\S+ \[loud\] WARNING low on cheese$/m);
    expect(res.stdout).toMatch(/^\S+ \[loud\] ERROR out of cheese$/m);
  });

  it("writes one JSON document per line with --json", async () => {
    const child = spawnCli(["logs", "-f", "--function", "hello", "--app-id", appId, "--json"], {
      cwd: t.root,
      env: t.env(),
    });
    try {
      await invokeUntil(child, /"message":"called hello v1"/);
      const first = child.output().split("\n")[0] ?? "";
      expect(JSON.parse(first)).toMatchObject({
        level: "info",
        function: "hello",
        message: "called hello v1",
      });
      expect(child.output()).not.toContain('"function":"other"');
    } finally {
      await child.stop();
    }
  });
});
