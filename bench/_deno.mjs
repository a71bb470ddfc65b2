// The bare-Deno side: the benchmark function under plain `deno run`, on TCP or a unix socket.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { kill, track } from "./_procs.mjs";

const require = createRequire(import.meta.url);

/** The one function every side serves. */
export const FUNCTION_SOURCE = 'Deno.serve(() => Response.json({ hello: "world" }));\n';

/** Deno binary of the `deno` npm package (what fnbase itself uses by default). */
export const denoPath =
  process.env.FNBASE_DENO ?? join(dirname(require.resolve("deno/package.json")), "deno");

/**
 * A tiny wrapper that runs the function's own `Deno.serve(handler)` on the port (or unix socket)
 * given as its argument and prints `listening <port>` once it accepts connections.
 */
export const WRAPPER_SOURCE = `const [where] = Deno.args;
const real = Deno.serve.bind(Deno);
const listen = where.startsWith("/")
  ? { path: where }
  : { hostname: "127.0.0.1", port: Number(where) };
Deno.serve = (handler) =>
  real({ ...listen, onListen: (a) => console.log("listening " + (a.port ?? a.path)) }, handler);
await import("./fn.ts");
`;

/**
 * Starts `deno run wrapper.ts <where>` in `dir` (which holds wrapper.ts and fn.ts) and resolves
 * once it listens, with the child and the time from spawn to listening.
 */
export function startBareDeno(dir, where = "0") {
  const t0 = performance.now();
  const child = track(
    denoPath,
    [
      "run",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      "--quiet",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      join(dir, "wrapper.ts"),
      where,
    ],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } },
  );
  let out = "";
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("bare deno did not listen within 30 s")), 30_000);
    const fail = (e) => {
      clearTimeout(timer);
      kill(child).finally(() => reject(e));
    };
    child.stderr.on("data", (c) => {
      err += c;
    });
    child.stdout.on("data", (c) => {
      out += c;
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, listen: m[1], listenMs: performance.now() - t0, t0 });
      }
    });
    child.once("exit", (code) => fail(new Error(`bare deno exited (${code}): ${err}`)));
  });
}

/** Resident memory of a pid in bytes (Linux), else undefined. */
export async function rssOf(pid) {
  const { readFile } = await import("node:fs/promises");
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
