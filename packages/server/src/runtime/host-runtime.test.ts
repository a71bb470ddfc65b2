// Host processes (`runtime: "host"`) and their Workers' socket names: each name serves one
// Worker of a host's life, and a host that has used its names takes no new Workers (the app's
// next ones start on a new host). Real Deno host processes, real sockets; few names per host
// (`hostSockets`) so that they run out.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@fnbase/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DenoProcess,
  type DenoProcessSettings,
  Lanes,
  type ProcessRecord,
} from "./deno-process.js";
import { HostRuntime } from "./host-runtime.js";
import type { InstanceSpec } from "./instance.js";
import { processSettings } from "./process-settings.fixture.js";
import { Watchdog } from "./watchdog.js";

let dir: string;
let settings: DenoProcessSettings;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-hosts-"));
  settings = await processSettings(dir, 128);
  await mkdir(settings.codeLinksDir, { recursive: true });
  root = join(dir, "deployment");
  await mkdir(join(root, "functions", "who"), { recursive: true });
  await writeFile(
    join(root, "functions", "who", "entry.ts"),
    "const id = crypto.randomUUID();\nDeno.serve(() => Response.json({ id, pid: Deno.pid }));\n",
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves with the first record `match` accepts. */
function recordOf(records: ProcessRecord[], match: (r: ProcessRecord) => boolean) {
  return new Promise<ProcessRecord>((resolve) => {
    const tick = setInterval(() => {
      const found = records.find(match);
      if (found) {
        clearInterval(tick);
        resolve(found);
      }
    }, 20);
  });
}

describe("a host process's Worker sockets", () => {
  it("are its socket names, each used once: a used or unknown one boots no Worker", async () => {
    const records: ProcessRecord[] = [];
    const proc = new DenoProcess(
      { ...settings, hostWorkers: 1, hostSockets: 3 },
      new Lanes(),
      { record: (r) => records.push(r), line() {} },
      settings.memoryMb,
      "host",
    );
    try {
      await proc.assignApp("app", {});
      await recordOf(records, (r) => r.t === "ready");
      expect(proc.bootWorker(1)).toBe(true);
      expect(proc.socketsLeft).toBe(1);
      expect(proc.bootWorker(2)).toBe(true);
      expect(proc.bootWorker(3)).toBe(false);
      expect(proc.socketsLeft).toBe(0);
      // Names 0, 1 and 2 serve Workers 0, 1 and 2, each on a socket of its own.
      for (const w of [0, 1, 2]) {
        await recordOf(
          records,
          (r) =>
            (r.w === w && r.t === "waiting") ||
            (r.t === "ready" && r.workers?.some((x) => x.w === w && x.waiting) === true),
        );
      }
      const sockets = [0, 1, 2].map((w) => proc.workerSocket(w));
      expect(new Set(sockets).size).toBe(3);
      const names = await readdir(proc.dir);
      for (const s of sockets) expect(names).toContain(s?.slice(proc.dir.length + 1));
      // The host refuses a name twice, whoever asks.
      proc.send({ t: "boot", w: 7, s: 0, key: "k7" });
      proc.send({ t: "boot", w: 8, s: 3, key: "k8" });
      const used = await recordOf(records, (r) => r.w === 7 && r.t === "exit");
      const unknown = await recordOf(records, (r) => r.w === 8 && r.t === "exit");
      expect(used).toMatchObject({ why: "cannot start: socket name 0 is used" });
      expect(unknown).toMatchObject({ why: "cannot start: socket name 3 is unknown" });
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });

  it("once used up, the app's next Worker starts on a new host", async () => {
    const watchdog = new Watchdog({
      cpuTimeLimitMs: 10_000,
      checkMemory: false,
      tickMs: 250,
      onKill() {},
    });
    const rt = new HostRuntime({
      process: { ...settings, hostSockets: 3 },
      spares: 0,
      poolWorkers: 1,
      spareWorkers: 1,
      bootTimeoutMs: 20_000,
      watchdog,
      log: createLogger({}, { level: "silent" }),
      retire: (inst) => void inst.stop("drained"),
    });
    const spec: InstanceSpec = {
      appId: "app",
      functionName: "who",
      deploymentId: "d1",
      entry: join(root, "functions", "who", "entry.ts"),
      root,
      env: {},
      memoryMb: settings.memoryMb,
      timeLimitMs: 10_000,
    };
    const hooks = { onEgressRefused() {}, onOverdue() {}, onOutput() {} };
    const answers: { id: string; pid: number }[] = [];
    try {
      // One function at a time: each started, asked, stopped (its Worker gone for good).
      for (let i = 0; i < 5; i++) {
        const inst = rt.instance(spec, hooks);
        await inst.start();
        const [name, value] = inst.authHeader;
        const res = await inst.dispatcher.request({
          path: "/",
          method: "GET",
          headers: { [name]: value },
        });
        answers.push((await res.body.json()) as { id: string; pid: number });
        await inst.stop("idle");
      }
    } finally {
      await rt.close();
    }
    // Five distinct isolates; the first host served three (its names), the next the rest.
    expect(new Set(answers.map((a) => a.id)).size).toBe(5);
    const pids = answers.map((a) => a.pid);
    expect(pids.slice(0, 3).every((p) => p === pids[0])).toBe(true);
    expect(pids.slice(3).every((p) => p === pids[3])).toBe(true);
    expect(pids[3]).not.toBe(pids[0]);
  });
});
