import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * Makes `lane` a folder whose entries are symlinks to those of the deployment's `root`. Not one
 * symlink for the whole folder: the process works in it, and a working directory reached
 * through a symlink is the target's path to the OS, where the process may not read.
 */
export async function linkCode(root: string, lane: string): Promise<void> {
  await mkdir(lane);
  const entries = await readdir(root);
  await Promise.all(entries.map((e) => symlink(join(root, e), join(lane, e))));
}

/**
 * Adds function `name`'s deployment to `dir`, a host process's working directory (the host
 * runtime: one process, so one working directory, for every function of an app). A deployment
 * is one function's (`materialize`): its root holds `functions/<name>/` and whatever else of the
 * project its files reach (`../shared/x.ts` is `shared/x.ts`, `../other/x.ts` is
 * `functions/other/x.ts`). So `dir/functions` is a real folder, `dir/functions/<name>` a symlink
 * to the function's own folder in its deployment, and every other entry a symlink to this
 * deployment's, but never over the folder of a function that linked its own (`owned`, which
 * gets `name`): relative paths into a function's own folder resolve in its deployment, others
 * in the app's deployment linked last. A link already there is replaced at once (a new link
 * renamed over it), so that a relative path resolves in the old deployment or the new one,
 * never in neither. Not symlinks to folders higher up: a working directory reached through a
 * symlink is the target's path to the OS, where the process may not read.
 */
export async function linkAppCode(
  root: string,
  dir: string,
  name: string,
  owned: Set<string>,
): Promise<void> {
  owned.add(name);
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (e.name !== "functions" || !e.isDirectory()) {
      await replaceLink(join(root, e.name), join(dir, e.name));
      continue;
    }
    await mkdir(join(dir, "functions"), { recursive: true });
    for (const f of await readdir(join(root, "functions"))) {
      if (f === name || !owned.has(f)) {
        await replaceLink(join(root, "functions", f), join(dir, "functions", f));
      }
    }
  }
}

/** Makes `path` a symlink to `target`, in one step when it is one already (see linkAppCode). */
async function replaceLink(target: string, path: string): Promise<void> {
  const tmp = join(path, "..", `.link-${randomBytes(6).toString("hex")}`);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Small numbers for the paths processes read their function's code through. A process may read
 * only `<codeLinksDir>/<lane>`, fixed when it starts; when it is assigned a function, that path
 * becomes a folder of symlinks to the deployment's files (Deno checks permissions on the path
 * asked for, not on where a symlink leads). Lanes are reused (lowest free first), so Deno's
 * caches, which are keyed by module path, grow with the number of processes at once, not with
 * the number ever started. A lane is free again only once its process has exited (the kernel
 * said so), and `codeLinksDir` is new at every start of the server, so no path a process of an
 * earlier start could hold ever leads to code again.
 */
export class Lanes {
  readonly #free: number[] = [];
  #next = 0;

  take(): number {
    if (this.#free.length === 0) return this.#next++;
    this.#free.sort((a, b) => a - b);
    return this.#free.shift() as number;
  }

  give(lane: number): void {
    this.#free.push(lane);
  }
}
