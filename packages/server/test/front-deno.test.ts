/**
 * Runs the Deno-side tests of the front's HTTP/1.1 client and server
 * (packages/runtime/src/front/http1_test.ts and server_test.ts) with the Deno binary fnbase
 * uses, so `npm test` covers them.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveDenoPath } from "../src/runtime/deno-binary.js";

const frontDir = fileURLToPath(new URL("../../runtime/src/front/", import.meta.url));

function denoTest(file: string): { status: number | null; out: string } {
  const r = spawnSync(
    resolveDenoPath(undefined),
    ["test", "--quiet", "--no-config", "--no-lock", "--allow-net", `${frontDir}${file}`],
    { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
  );
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const suites = [
  [
    "client",
    "http1_test.ts",
    9,
    "bodies, 1xx, HEAD/204/304, limits, retries, unreachable upstreams, aborts, malformed heads, latin1, 101",
  ],
  [
    "server",
    "server_test.ts",
    11,
    "keep-alive, pipelining, refusals, chunked, 100-continue, HTTP/1.0, timeouts, 32 KiB heads, latin1, tunnels, connection caps",
  ],
] as const;

for (const [side, file, count, what] of suites) {
  describe(`the front's HTTP/1.1 ${side}`, () => {
    it(`passes its Deno tests (${what})`, () => {
      const r = denoTest(file);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(new RegExp(`ok \\| ${count} passed`));
    }, 90_000);
  });
}
