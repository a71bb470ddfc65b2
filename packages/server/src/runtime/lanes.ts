import { mkdir, readdir, symlink } from "node:fs/promises";
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
