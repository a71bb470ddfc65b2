import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { FnbaseError, readEnv } from "@fnbase/shared";

/**
 * The Deno binary functions run on: `FNBASE_DENO`, else the binary of the `deno` npm package
 * (installed with fnbase; never a global install or a download at run time).
 */
export function resolveDenoPath(explicit?: string): string {
  const fromEnv = explicit ?? readEnv("FNBASE_DENO");
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new FnbaseError("CONFIG_INVALID", `Deno binary not found: ${fromEnv}`, {
        hint: "Unset FNBASE_DENO to use the deno npm package's binary",
      });
    }
    return fromEnv;
  }
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("deno/package.json"));
  const exe = join(pkgDir, process.platform === "win32" ? "deno.exe" : "deno");
  if (!existsSync(exe)) {
    throw new FnbaseError("CONFIG_INVALID", `The deno npm package has no binary at ${exe}`, {
      hint: "Run `npm rebuild deno` (its install script places the binary)",
    });
  }
  return exe;
}
