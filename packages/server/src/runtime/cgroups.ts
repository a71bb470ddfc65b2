import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { processAlive } from "./leftovers.js";

/**
 * Kernel limits per instance process: a memory cgroup (everything the process holds, V8's heap,
 * ArrayBuffers and the pages of its tmpfs alike; over it, the kernel's OOM killer ends the
 * process) and, on cgroup v2, a CPU group of its own. The CPU group has no quota: the scheduler
 * shares the CPU between groups, so an instance gets its fair share however many threads
 * (Workers) it runs, and all instances together, under one group, cannot starve the server. A
 * quota of one core was tried: Deno's boot runs several threads at once, and the throttling made
 * cold starts 30-50% slower (measured with interleaved cold starts). cgroup v2, or v1's memory
 * controller (older distributions).
 *
 * Moving a process into a cgroup takes a system-wide lock for an RCU grace period (7-13 ms on
 * v1 here): a spare pays it while it waits; a process started for a cold start pays it on the
 * way. On cgroup v2, mounting with `favordynmods` (Linux 6.1+) makes the move cheap.
 *
 * Where: `FNBASE_CGROUP` (option `cgroup`), a folder of the cgroup tree the server may write
 * (v2: with no processes of its own, the memory and cpu controllers available; systemd gives a
 * service one with `Delegate=yes`); as root, `fnbase` under the tree's root by default. Each
 * start of the server makes a folder of its own there (`<pid>-<random>`), one per instance below
 * it, and removes those of servers that are gone, killing what they left.
 */
export interface Cgroups {
  readonly kind: "v2" | "v1";
  /** The folder of this start (v2), or the memory controller's one (v1). */
  readonly dir: string;
  /** A cgroup for one process, limited to `memoryMb`. */
  create(id: string, memoryMb: number): Promise<InstanceCgroup>;
  /** Removes this start's folder (its instances must be gone). */
  close(): Promise<void>;
}

/** The cgroup of one instance process. */
export interface InstanceCgroup {
  /** Moves the process in. */
  join(pid: number): Promise<void>;
  /** Changes its memory limit (an app's host process, as its Workers come and go). */
  setMemory(memoryMb: number): Promise<void>;
  /** True when the kernel's OOM killer ended a process in it. */
  oomKilled(): Promise<boolean>;
  /** Removes it (once its process has exited). */
  remove(): Promise<void>;
}

const MB = 1024 * 1024;

const tryWrite = (path: string, value: string) => writeFile(path, value).catch(() => {});

async function oomKills(file: string): Promise<number> {
  const text = await readFile(file, "utf8").catch(() => "");
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Kills what is left in `dir` (a cgroup folder of a server that is gone) and removes it. */
async function reap(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await reap(join(dir, entry.name));
  }
  const procs = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
  for (const pid of procs.split("\n").filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (
    let i = 0;
    i < 50 &&
    (await rmdir(dir).then(
      () => false,
      () => true,
    ));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reaps the start folders under `parent` whose server process is gone. */
async function reapGone(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [])) {
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (pid > 0 && !processAlive(pid)) await reap(join(parent, name));
  }
}

const runName = () => `${process.pid}-${Math.random().toString(16).slice(2, 10)}`;

async function openV2(parent: string): Promise<Cgroups> {
  const available = (await readFile(join(parent, "cgroup.controllers"), "utf8")).split(/\s+/);
  for (const c of ["memory", "cpu"]) {
    if (!available.includes(c))
      throw new Error(`the ${c} controller is not available in ${parent}`);
  }
  await writeFile(join(parent, "cgroup.subtree_control"), "+memory +cpu");
  await reapGone(parent);
  const dir = join(parent, runName());
  await mkdir(dir);
  await writeFile(join(dir, "cgroup.subtree_control"), "+memory +cpu");
  return {
    kind: "v2",
    dir,
    async create(id, memoryMb) {
      const cg = join(dir, id);
      await mkdir(cg);
      await writeFile(join(cg, "memory.max"), String(memoryMb * MB));
      await tryWrite(join(cg, "memory.swap.max"), "0");
      return {
        join: (pid) => writeFile(join(cg, "cgroup.procs"), String(pid)),
        setMemory: (mb) => tryWrite(join(cg, "memory.max"), String(mb * MB)),
        oomKilled: async () => (await oomKills(join(cg, "memory.events"))) > 0,
        remove: () => rmdir(cg).catch(() => {}),
      };
    },
    close: () => reap(dir),
  };
}

async function openV1(root: string): Promise<Cgroups> {
  // The memory controller only: each hierarchy of v1 is a move of its own, and a move costs a
  // system-wide lock for an RCU grace period (7-13 ms measured here, during which no thread
  // anywhere can start); the CPU group's fairness is not worth a second one.
  const memRoot = join(root, "memory", "fnbase");
  await mkdir(memRoot, { recursive: true });
  await reapGone(memRoot);
  const mem = join(memRoot, runName());
  await mkdir(mem);
  // Limits apply to the whole subtree (v1's default is to count children apart).
  await tryWrite(join(mem, "memory.use_hierarchy"), "1");
  return {
    kind: "v1",
    dir: mem,
    async create(id, memoryMb) {
      const m = join(mem, id);
      await mkdir(m);
      await writeFile(join(m, "memory.limit_in_bytes"), String(memoryMb * MB));
      // With swap accounting, the same limit for memory and swap together: no swapping past it.
      await tryWrite(join(m, "memory.memsw.limit_in_bytes"), String(memoryMb * MB));
      return {
        join: (pid) => writeFile(join(m, "cgroup.procs"), String(pid)),
        // memsw may not be below the limit: raised first when raising, after when lowering.
        setMemory: async (mb) => {
          await tryWrite(join(m, "memory.memsw.limit_in_bytes"), String(mb * MB));
          await tryWrite(join(m, "memory.limit_in_bytes"), String(mb * MB));
          await tryWrite(join(m, "memory.memsw.limit_in_bytes"), String(mb * MB));
        },
        oomKilled: async () => (await oomKills(join(m, "memory.oom_control"))) > 0,
        remove: () => rmdir(m).catch(() => {}),
      };
    },
    close: () => reap(mem),
  };
}

/**
 * Opens the cgroups this server's instances run in. `setting`: a cgroup folder, `"auto"`
 * (root: the tree's root; anyone else: none) or `"off"`. Undefined when there are none; then
 * memory is held by V8's heap limit and the watchdog's check of each process's resident memory
 * (`runtime/watchdog.ts`), and CPU by the watchdog alone.
 *
 * @throws FnbaseError `CONFIG_INVALID` when a folder was named and cannot be used.
 */
export async function openCgroups(setting: string): Promise<Cgroups | undefined> {
  if (setting === "off" || process.platform !== "linux") return undefined;
  const root = "/sys/fs/cgroup";
  const v2 = existsSync(join(root, "cgroup.controllers"));
  if (setting === "auto") {
    if (process.getuid?.() !== 0) return undefined;
    try {
      if (v2) return await openV2(await ensure(join(root, "fnbase"), root));
      if (existsSync(join(root, "memory", "memory.limit_in_bytes"))) {
        return await openV1(root);
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  try {
    return await openV2(setting);
  } catch (e) {
    throw new FnbaseError(
      "CONFIG_INVALID",
      `Cannot use the cgroup ${setting}: ${(e as Error).message}`,
      {
        hint: "FNBASE_CGROUP must name a cgroup v2 folder this user may write, with no processes in it and the memory and cpu controllers available",
      },
    );
  }
}

/** Creates `dir` under the v2 root `root` with the controllers enabled on the way; returns it. */
async function ensure(dir: string, root: string): Promise<string> {
  await writeFile(join(root, "cgroup.subtree_control"), "+memory +cpu");
  await mkdir(dir, { recursive: true });
  return dir;
}
