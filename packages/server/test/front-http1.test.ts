/**
 * Runs the Deno-side tests of the front's HTTP/1.1 client (packages/runtime/src/front/http1_test.ts)
 * with the Deno binary fnbase uses, so `npm test` covers them.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveDenoPath } from "../src/runtime/deno-binary.js";

const testFile = fileURLToPath(new URL("../../runtime/src/front/http1_test.ts", import.meta.url));

describe("the front's HTTP/1.1 client", () => {
  it("passes its Deno tests (bodies, 1xx, HEAD/204/304, limits, retries, aborts)", () => {
    const r = spawnSync(
      resolveDenoPath(undefined),
      ["test", "--quiet", "--no-config", "--no-lock", "--allow-net", testFile],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/ok \| 5 passed/);
  }, 90_000);
});
