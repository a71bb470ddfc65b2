// Tracks every process and resource the benchmark starts, and tears them down on any exit.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";

const children = new Set();
const cleanups = [];
const tempDirs = [];

/** Spawns a child that is killed when the benchmark exits, however it exits. */
export function track(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Kills a tracked child and waits for it to exit. */
export async function kill(child, signal = "SIGKILL") {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}

/** Registers an async cleanup (server.close, proxy.close) run before exit, newest first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Registers a temp dir removed at exit. */
export function tempDir(dir) {
  tempDirs.push(dir);
  return dir;
}

/** Pids whose parent is this process (the fnbase server's Deno instances included). */
export function ownChildren() {
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) pids.push(Number(name));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

/**
 * Pids of this process's children and theirs, down the tree (a host process of the host runtime
 * runs under its PID namespace's `unshare`, a child of the server: its Deno is a grandchild).
 */
export function ownDescendants() {
  const all = [];
  const todo = [process.pid];
  while (todo.length > 0) {
    const pid = todo.pop();
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
    } catch {
      // gone while we looked
    }
    for (const child of text.trim().split(" ").filter(Boolean).map(Number)) {
      all.push(child);
      todo.push(child);
    }
  }
  return all;
}

/** Synchronous last resort: kill whatever is still ours and remove temp dirs. */
function finalSweep() {
  for (const c of children) c.kill("SIGKILL");
  if (process.platform === "linux") {
    for (const pid of ownChildren()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

let cleaning;
/** Runs every registered cleanup, then the final sweep. Safe to call more than once. */
export function cleanupAll() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      await Promise.race([fn().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
    }
    await Promise.all([...children].map((c) => kill(c)));
    finalSweep();
  })();
  return cleaning;
}

/**
 * Runs a bench script's `main`: a failure is printed with the script's `name` and sets exit
 * code 1; every process and folder it left is cleaned up either way.
 */
export async function runMain(name, main) {
  try {
    await main();
  } catch (err) {
    console.error(`${name}: failed: ${err?.stack ?? err}`);
    process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}

process.once("exit", finalSweep);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    console.error(`\nbench: ${sig}, cleaning up`);
    cleanupAll().finally(() => process.exit(130));
  });
}

/** CPU time (user + system) a process has used so far, in ms; undefined when unknown. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** CPU time of the processes `pids` together, in ms (a process gone counts 0). */
export function cpuOf(pids) {
  return pids.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0);
}

/** The machine's CPU counters (/proc/stat, all CPUs), in ms. */
function machineMs() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
  return { busy: ((user + nice + system + irq + softirq + steal) * 1000) / 100, steal: steal * 10 };
}

/** Busy CPU time of the whole machine, in ms, time a hypervisor took included. */
export function machineBusyMs() {
  return machineMs().busy;
}

/** CPU time a hypervisor took from this (virtual) machine, in ms: neither we nor idle had it. */
export function machineStealMs() {
  return machineMs().steal;
}
