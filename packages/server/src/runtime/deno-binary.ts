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

/**
 * How fnbase starts every Deno process it runs (the front and function instances): no prompts,
 * no config or lock file of the working directory, no banner, and a young generation of at most
 * 4 MB. V8's default grows to 16 MB semi-spaces under load: after npm run bench a warm instance
 * held 102 MB with it and 56 MB with the cap, the front 115 MB and 75 MB, at the same CPU per
 * request (npm run bench:ab: 13.6 against 13.8 us for the instance). `v8Flags` adds to it (an
 * instance's heap limit, say). Permissions and the script follow.
 */
export function denoRun(v8Flags: readonly string[] = []): string[] {
  return [
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--quiet",
    `--v8-flags=${["--max-semi-space-size=4", ...v8Flags].join(",")}`,
  ];
}

/** {@link denoRun} without extra V8 flags (the front). */
export const DENO_RUN = Object.freeze(denoRun());
