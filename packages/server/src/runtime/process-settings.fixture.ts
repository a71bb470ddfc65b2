/**
 * The settings the runtime's unit tests start real Deno processes with: everything under `dir`
 * (the runtime's import map, Deno's cache, the instances' and the code links' folders), no
 * sandbox, a 16 MB `tmp/`; `memoryMb` is each test's.
 */
import { join } from "node:path";
import { resolveDenoPath } from "./deno-binary.js";
import type { DenoProcessSettings } from "./deno-process.js";
import { writeImportMap } from "./import-map.js";
import { detectSandbox } from "./sandbox.js";

export async function processSettings(dir: string, memoryMb: number): Promise<DenoProcessSettings> {
  const map = await writeImportMap(join(dir, "runtime"));
  return {
    denoPath: resolveDenoPath(),
    denoDir: join(dir, "deno-cache"),
    importMapPath: map.path,
    readableDirs: map.readable,
    instancesDir: join(dir, "instances"),
    codeLinksDir: join(dir, "code-links"),
    allowAll: false,
    sandbox: await detectSandbox("off"),
    writableBytes: 16 * 1024 * 1024,
    memoryMb,
  };
}
