import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { runtimeModulePath } from "@fnbase/runtime";

/**
 * Writes the import map every instance runs with: `base44:runtime` is fnbase's runtime module,
 * and `@fnbase/sdk` is the SDK of this fnbase install (no publish needed), its one dependency
 * from the npm registry. Returns the map's path and the folders instances must be able to read.
 */
export async function writeImportMap(dir: string): Promise<{ path: string; readable: string[] }> {
  const imports: Record<string, string> = {
    "base44:runtime": pathToFileURL(runtimeModulePath).href,
  };
  const readable: string[] = [];
  try {
    const require = createRequire(import.meta.url);
    // Deno runs the built SDK, dist/index.js, whatever export condition resolved the package
    // here (tests resolve workspace packages to their TypeScript source).
    const entry = join(dirname(require.resolve("@fnbase/sdk")), "..", "dist", "index.js");
    if (existsSync(entry)) {
      imports["@fnbase/sdk"] = pathToFileURL(entry).href;
      imports.axios = "npm:axios@^1.12.0";
      readable.push(dirname(entry));
    }
  } catch {
    // The SDK is optional for the runtime: without it, functions use npm:@base44/sdk.
  }
  await mkdir(dir, { recursive: true });
  const path = join(dir, "import_map.json");
  await writeFile(path, JSON.stringify({ imports }, null, 2));
  return { path, readable };
}
