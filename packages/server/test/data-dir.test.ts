// A data dir whose path leaves no room for the unix sockets of instances (a socket's path has
// 107 bytes at most) is refused when the server starts, with a hint, before anything is written.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server.js";

const root = mkdtempSync(join(tmpdir(), "fnbase-datadir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the data dir", () => {
  it("is refused when too long for the instances' sockets, and nothing is created", async () => {
    const dataDir = join(root, "d".repeat(100 - root.length));
    expect(dataDir.length).toBeGreaterThan(60);
    const err = await startServer({ port: 0, dataDir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "CONFIG_INVALID" });
    expect((err as Error).message).toContain("too long for the unix sockets");
    expect((err as { hint?: string }).hint).toMatch(/data dir of \d+ bytes or less/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
