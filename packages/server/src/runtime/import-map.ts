import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  base44SdkBundlePath,
  fnbaseSdkBundlePath,
  runtimeModulePath,
  sdkBundleDir,
} from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import { BASE44_SDK_SPECIFIER } from "../deploy/sdk-imports.js";

/**
 * Writes the import map every instance runs with (fixed when its process starts, before it
 * knows its function, so the same for all):
 * - `base44:runtime`: fnbase's runtime module;
 * - `@base44/sdk` and `npm:@base44/sdk`: the server's one copy of Base44's SDK, bundled into one
 *   file at build time (`@fnbase/runtime`'s `dist/base44-sdk.js`). A deployment's imports of
 *   `npm:@base44/sdk@<any version>` are rewritten to `@base44/sdk` when it is written to disk
 *   (`deploy/sdk-imports.ts`): an import map matches `npm:` specifiers exactly, never by prefix;
 * - `@fnbase/sdk`: this server's SDK, bundled the same way.
 * The bundles hold their dependencies (axios & co.), so nothing here needs the npm registry.
 * Returns the map's path and the folders instances must be able to read.
 *
 * @throws FnbaseError `CONFIG_INVALID` when the bundles were not built (`npm run build`).
 */
export async function writeImportMap(dir: string): Promise<{ path: string; readable: string[] }> {
  for (const bundle of [base44SdkBundlePath, fnbaseSdkBundlePath]) {
    if (!existsSync(bundle)) {
      throw new FnbaseError("CONFIG_INVALID", `SDK bundle not found: ${bundle}`, {
        hint: "Run `npm run build` (npm install runs it) to bundle the SDKs functions import",
      });
    }
  }
  const base44Sdk = pathToFileURL(base44SdkBundlePath).href;
  const imports: Record<string, string> = {
    "base44:runtime": pathToFileURL(runtimeModulePath).href,
    [BASE44_SDK_SPECIFIER]: base44Sdk,
    "npm:@base44/sdk": base44Sdk,
    "@fnbase/sdk": pathToFileURL(fnbaseSdkBundlePath).href,
  };
  await mkdir(dir, { recursive: true });
  const path = join(dir, "import_map.json");
  await writeFile(path, JSON.stringify({ imports }, null, 2));
  return { path, readable: [sdkBundleDir] };
}
