import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Kills every process a server on this data dir left behind: instances and the front, found by
 * the folder their permissions name (`--allow-write=<instancesDir>…`). There should be none:
 * each gets SIGKILL when its server's process ends (see `runtime/sandbox.ts`), and they stop
 * when their stdin closes; this covers a process that started in the instant its server died.
 * Linux only (it reads /proc); elsewhere it finds nothing. Returns the pids it killed.
 */
export async function killLeftovers(instancesDir: string): Promise<number[]> {
  if (process.platform !== "linux") return [];
  const marker = `--allow-write=${instancesDir}`;
  const killed: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.split("\0").some((arg) => arg.startsWith(marker))) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone already
    }
  }
  return killed;
}

/**
 * Clears what instances of an earlier start left on disk: their folders, the code links, and
 * Deno's transpiled copies of the code they ran (`<denoDir>/gen/file/<codeLinksRoot>`; the
 * emit cache is keyed by module path, and those paths will never be used again).
 */
export async function clearInstanceFolders(d: {
  instancesDir: string;
  codeLinksRoot: string;
  denoDir: string;
}): Promise<void> {
  await Promise.all([
    rm(d.instancesDir, { recursive: true, force: true }),
    rm(d.codeLinksRoot, { recursive: true, force: true }),
    rm(join(d.denoDir, "gen", "file", d.codeLinksRoot), { recursive: true, force: true }),
  ]);
}

/** True when process `pid` exists (EPERM: it does, and is another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
