import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DeploymentRecord } from "../store/index.js";

/** Where a deployment's files live on disk: a small `base44/` tree of its own. */
export function deploymentDir(dataDir: string, d: Pick<DeploymentRecord, "app_id" | "id">): string {
  return join(dataDir, "deployments", d.app_id, d.id);
}

/** Absolute path of the deployment's entry file. */
export function entryPath(dataDir: string, d: DeploymentRecord): string {
  return join(deploymentDir(dataDir, d), "functions", d.function_name, d.entry);
}

/**
 * Writes a deployment's files to disk, once: into a temp folder renamed into place, so a
 * half-written deployment is never visible. Safe to call again; it returns at once when done.
 */
export async function materialize(dataDir: string, d: DeploymentRecord): Promise<string> {
  const dir = deploymentDir(dataDir, d);
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${randomBytes(4).toString("hex")}`;
  const fnDir = join(tmp, "functions", d.function_name);
  for (const f of d.files) {
    const target = join(fnDir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content);
  }
  await mkdir(dirname(dir), { recursive: true });
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw err;
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
