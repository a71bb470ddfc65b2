import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DenoProcess, Lanes } from "./deno-process.js";
import { processSettings } from "./process-settings.fixture.js";

const quiet = { record: () => {}, line: () => {} };
let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("DenoProcess", () => {
  it("never starts when killed while its folder is made, and says it exited", async () => {
    root = await mkdtemp(join(tmpdir(), "fnbase-proc-"));
    const proc = new DenoProcess(await processSettings(root, 256), new Lanes(), quiet);
    const spawned = proc.spawn();
    proc.kill("SIGKILL");
    await spawned;
    expect(await proc.exited).toBe("stopped (SIGKILL) before it started");
    expect([proc.pid, proc.alive]).toEqual([undefined, false]);
    // Its folder is removed as for any process that ended.
    for (let i = 0; i < 50 && (await readdir(join(root, "instances"))).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await readdir(join(root, "instances"))).toEqual([]);
  });
});
