// No instance outlives its server, however it dies: the server runs in a child process that the
// test kills with SIGKILL while its instances resist (Deno.exit replaced, signals ignored, a
// handler spinning forever). Then a new start on the same data dir finds nothing of theirs.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server.js";
import { ADMIN_KEY, denoPidOf, oneFile, sleep } from "../helpers.js";

const SERVER = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

const STUBBORN = `
Deno.exit = () => { console.log("not leaving"); };
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) Deno.addSignalListener(sig, () => {});
globalThis.addEventListener("unhandledrejection", (e) => e.preventDefault());
setInterval(() => {}, 1000);
Deno.serve(() => Response.json({ tmp: Deno.env.get("TMPDIR") }));
`;
const SPINNER = `
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/spin")) while (true) {}
  return Response.json({ tmp: Deno.env.get("TMPDIR") });
});
`;

/** Processes whose command line names `dataDir` (the server's Deno processes, all of them). */
async function processesOf(dataDir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(dataDir) && !cmdline.includes("--input-type")) out.push(pid);
  }
  return out;
}

let dataDir: string;
let child: ChildProcess | undefined;

afterAll(async () => {
  child?.kill("SIGKILL");
  for (const pid of dataDir ? await processesOf(dataDir) : []) process.kill(pid, "SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts a server on `dataDir` in a child Node process; resolves with its URL. */
function serveInChild(): Promise<string> {
  const code = `
    const { startServer } = await import(${JSON.stringify(SERVER)});
    const s = await startServer({ port: 0, dataDir: ${JSON.stringify(dataDir)}, adminKey: ${JSON.stringify(ADMIN_KEY)}, cpuTimeLimitMs: 600000 });
    console.log(JSON.stringify({ url: s.url }));
  `;
  child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child?.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child?.once("exit", (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
}

describe("when its server is killed with SIGKILL", () => {
  it("no instance survives, whatever it does, and a new start finds nothing of it", async () => {
    expect(existsSync(SERVER)).toBe(true);
    dataDir = await mkdtemp(join(tmpdir(), "fnbase-survivors-"));
    const url = await serveInChild();
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { api_key: ADMIN_KEY, "content-type": "application/json" },
      });
    const app = (
      (await (await admin("/api/apps", { method: "POST", body: '{"name":"s"}' })).json()) as {
        id: string;
      }
    ).id;
    for (const [name, code] of [
      ["stubborn", STUBBORN],
      ["spinner", SPINNER],
    ] as const) {
      const res = await admin(`/api/apps/${app}/backend-functions/${name}`, {
        method: "PUT",
        body: JSON.stringify(oneFile(code)),
      });
      expect(res.status).toBe(200);
    }
    const pidOf = async (fn: string) =>
      denoPidOf(
        ((await (await fetch(`${url}/api/apps/${app}/functions/${fn}`)).json()) as { tmp: string })
          .tmp,
      );
    const stubborn = await pidOf("stubborn");
    const spinner = await pidOf("spinner");
    const spinning = new AbortController();
    void fetch(`${url}/api/apps/${app}/functions/spinner/spin`, { signal: spinning.signal }).catch(
      () => {},
    );
    await sleep(300);
    const before = await processesOf(dataDir);
    expect(before).toContain(stubborn);
    expect(before).toContain(spinner);
    const lanes = join(dataDir, "code-links");
    const [oldRun] = await readdir(lanes);

    child?.kill("SIGKILL");
    let left = before;
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await sleep(50);
      left = (await processesOf(dataDir)).filter((p) => before.includes(p));
    }
    spinning.abort();
    expect(left).toEqual([]);

    // A new start on the same data dir: nothing of the old one is left, no old lane path leads
    // anywhere again, and the functions serve.
    await using s = await startServer({ port: 0, dataDir, adminKey: ADMIN_KEY });
    expect(existsSync(join(lanes, oldRun ?? "none"))).toBe(false);
    expect((await readdir(lanes)).length).toBe(1);
    const res = await fetch(`${s.url}/api/apps/${app}/functions/stubborn`);
    expect(res.status).toBe(200);
  }, 60_000);
});
