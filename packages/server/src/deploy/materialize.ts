import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { DeploymentRecord } from "../store/index.js";
import { functionImportMap, rewriteWithImportMap } from "./import-maps.js";
import { rewriteSdkImports } from "./sdk-imports.js";

/**
 * What {@link materialize} writes, in `<data>/deployments/.format`. Bumped whenever that
 * changes, so that a server started on folders an older version wrote writes them again.
 * 2: imports of `npm:@base44/sdk` are rewritten to the server's copy (sdk-imports.ts).
 * 3: the function's own import map (deno.json, import_map.json) is applied (import-maps.ts).
 */
const FORMAT = "3";

/** Where a deployment's files live on disk: a small `base44/` tree of its own. */
export function deploymentDir(dataDir: string, d: Pick<DeploymentRecord, "app_id" | "id">): string {
  return join(dataDir, "deployments", d.app_id, d.id);
}

/** Absolute path of the deployment's entry file. */
export function entryPath(dataDir: string, d: DeploymentRecord): string {
  return join(deploymentDir(dataDir, d), "functions", d.function_name, d.entry);
}

/**
 * Removes every deployment's folder when an older version of fnbase wrote them (see
 * {@link FORMAT}); the store holds the deployments, and each one is written again when it is
 * next needed. Also removes the temp folders a server that died mid-write left. Call at start,
 * before anything is materialized.
 */
export async function resetStaleDeployments(dataDir: string): Promise<void> {
  const root = join(dataDir, "deployments");
  const marker = join(root, ".format");
  const format = await readFile(marker, "utf8").catch(() => undefined);
  if (format === FORMAT) {
    for (const app of await readdir(root, { withFileTypes: true })) {
      if (!app.isDirectory()) continue;
      for (const entry of await readdir(join(root, app.name))) {
        if (TEMP.test(entry))
          await rm(join(root, app.name, entry), { recursive: true, force: true });
      }
    }
    return;
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await writeFile(marker, FORMAT);
}

/** A deployment folder being written (see {@link materialize}). */
const TEMP = /\.tmp-[0-9a-f]{8}$/;

/**
 * Writes a deployment's files to disk, once: into a temp folder renamed into place, so a
 * half-written deployment is never visible. Safe to call again; it returns at once when done.
 * On the way, the function's own import map is applied to its imports
 * ({@link rewriteWithImportMap}), then imports of `npm:@base44/sdk` (any version) are rewritten
 * to the server's copy, lines and columns kept ({@link rewriteSdkImports}); the store keeps the
 * files as they were deployed. `check` runs on the written temp folder before it goes into
 * place; when it (or any write) throws, the temp folder is removed and the error goes on.
 *
 * @throws FnbaseError `BAD_REQUEST` when the function's deno.json or import_map.json is invalid.
 */
export async function materialize(
  dataDir: string,
  d: DeploymentRecord,
  check?: (root: string) => Promise<void>,
): Promise<string> {
  const dir = deploymentDir(dataDir, d);
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  const fnDir = join(tmp, "functions", d.function_name);
  let placing = false;
  try {
    const map = functionImportMap(d.function_name, d.files);
    for (const f of d.files) {
      const target = join(fnDir, f.path);
      await mkdir(dirname(target), { recursive: true });
      const path = posix.normalize(posix.join("functions", d.function_name, f.path));
      const mapped = map ? await rewriteWithImportMap(path, f.content, map) : f.content;
      await writeFile(target, await rewriteSdkImports(f.path, mapped));
    }
    await check?.(tmp);
    await mkdir(dirname(dir), { recursive: true });
    placing = true;
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Another call wrote the same deployment first: that one is as good.
    if (!placing || !existsSync(dir)) throw err;
  }
  return dir;
}

/** Removes a deployment's files. */
export async function removeDeploymentFiles(
  dataDir: string,
  d: Pick<DeploymentRecord, "app_id" | "id">,
): Promise<void> {
  await rm(deploymentDir(dataDir, d), { recursive: true, force: true });
}
