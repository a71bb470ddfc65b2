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

describe("the front's HTTP/1.1 client", () => {
  it("passes its Deno tests (bodies, 1xx, HEAD/204/304, limits, retries, aborts)", () => {
    const r = denoTest("http1_test.ts");
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/ok \| 5 passed/);
  }, 90_000);
});

describe("the front's HTTP/1.1 server", () => {
  it("passes its Deno tests (keep-alive, pipelining, refusals, chunked, 100-continue, HTTP/1.0, timeouts, 64 KiB heads)", () => {
    const r = denoTest("server_test.ts");
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/ok \| 8 passed/);
  }, 90_000);
});
