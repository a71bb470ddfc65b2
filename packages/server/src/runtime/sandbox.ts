import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { FnbaseError } from "@fnbase/shared";

/**
 * How instances are confined beyond Deno's permissions (`ServerOptions.sandbox`):
 * - `"auto"` (default): in namespaces when the kernel lets this server create them, else
 *   without, with a warning in the server's log;
 * - `"require"`: in namespaces, or the server refuses to start;
 * - `"off"`: never (instances share the host's network; `fnbase dev` on a laptop).
 */
export type SandboxSetting = "auto" | "require" | "off";

/** The port the egress relay listens on inside each instance's network namespace. */
export const RELAY_PORT = 3128;

/** How instance processes are started. */
export interface Sandbox {
  /**
   * `namespaces`: each process in a network namespace of its own (only its own loopback; the
   * way out is the egress proxy) and a mount namespace with a size-limited tmpfs as its
   * writable folder. `none`: as the server's other children.
   */
  readonly kind: "namespaces" | "none";
  /** Why the sandbox is `none` (the setting, or what failed when it was tried). */
  readonly reason?: string;
  /** True when every instance gets SIGKILL as soon as the server's process ends. */
  readonly diesWithServer: boolean;
  /**
   * True when {@link command} can also give a process a PID namespace of its own (`pid: true`),
   * in which Deno is the namespace's init: the kernel then ignores SIGKILL and SIGSTOP sent to
   * it from inside (by itself), and any other signal it has no handler for.
   */
  readonly pidNamespaces: boolean;
  /**
   * The command and arguments that run `deno args` in the sandbox. With namespaces, the
   * process writes a `sandboxed` record once its loopback is up and its tmpfs mounted (or is
   * killed if that fails); nothing may use them before.
   *
   * With `pid` (when {@link pidNamespaces}), Deno runs as init of a PID namespace of its own.
   * That takes a fork: the process the server starts is then `unshare`, which waits for Deno
   * (its only child) and ends with it; Deno gets SIGKILL when it ends (`--kill-child`), and it
   * gets SIGKILL when the server does. Its own pid is then the child's ({@link childPid} finds it).
   */
  command(
    deno: string,
    args: readonly string[],
    writable: Writable,
    opts?: { pid?: boolean },
  ): [string, string[]];
}

/**
 * The pid (in the server's namespace) of Deno when `pid` is the `unshare` of a PID namespace
 * (see {@link Sandbox.command}): `pid`'s child that is its namespace's init (`NSpid: <n> 1`; not
 * the sandbox's setup job, which `pid` forks too while it is still `sh`). Waits for the fork (a
 * few ms at most); undefined once `pid` has ended without it.
 */
export async function childPid(pid: number): Promise<number | undefined> {
  const list = `/proc/${pid}/task/${pid}/children`;
  for (let i = 0; ; i++) {
    const text = await readFile(list, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    for (const child of text.trim().split(" ").filter(Boolean)) {
      const status = await readFile(`/proc/${child}/status`, "utf8").catch(() => "");
      if (/^NSpid:[ \t]+\d+([ \t]+\d+)*[ \t]+1$/m.test(status)) return Number(child);
    }
    await new Promise((resolve) => setTimeout(resolve, i < 20 ? 1 : 20));
  }
}

/** The instance's writable folder, a tmpfs of `bytes` inside the sandbox. */
export interface Writable {
  dir: string;
  bytes: number;
}

/** Absolute path of `name` on the server's PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

interface Tools {
  unshare: string;
  sh: string;
  ip: string;
  mount: string;
  setpriv: string;
}

/**
 * Namespaces with util-linux (`unshare`, `setpriv`, `mount`) and iproute2 (`ip`), present on
 * every mainstream Linux. As root, network and mount namespaces directly; as another user,
 * inside a user namespace of its own (unprivileged user namespaces must be allowed). The
 * process chain is exec only (unshare, sh, setpriv, deno share one pid), so the server stays
 * the parent and `--pdeathsig` holds. With a PID namespace (`pid`), the chain ends in
 * `unshare --pid --fork --kill-child` instead, whose child is Deno (the namespace's init), and
 * `setpriv --pdeathsig` comes first, for that `unshare` (the parent-death signal stays across
 * exec and the user namespace's entry, which keeps the same user); the setup job stays outside
 * the PID namespace, so its `kill` reaches that `unshare`, whose end kills Deno.
 */
function namespaces(t: Tools, pidNamespaces: boolean): Sandbox {
  const user = process.getuid?.() === 0 ? [] : ["--user", "--map-root-user"];
  // The namespaces' loopback and the tmpfs are set up beside Deno's boot rather than before it
  // (each step is a process start, about 1-3 ms), by a job that is orphaned at once (no zombie
  // under Deno) and says it is done with a record on the process's stdout; the host sends the
  // assignment only after it. If the setup fails, the process is killed ($$ is Deno's pid).
  const setup = [
    `${quote(t.ip)} link set lo up`,
    `${quote(t.mount)} -t tmpfs -o "size=$2,mode=0700,nosuid,nodev" fnbase "$1"`,
    // printf's own escapes: \036 is the record separator (0x1e), \n the line's end.
    String.raw`printf '\036{"t":"sandboxed"}\n'`,
  ].join(" && ");
  const script = (pid: boolean) =>
    `main=$$; ( ( ${setup} || kill -KILL "$main" ) & ); shift 2; exec ${
      pid
        ? `${quote(t.unshare)} --pid --fork --kill-child --`
        : `${quote(t.setpriv)} --pdeathsig KILL --`
    } "$@"`;
  return {
    kind: "namespaces",
    diesWithServer: true,
    pidNamespaces,
    command: (deno, args, w, opts) => {
      const pid = opts?.pid === true && pidNamespaces;
      const chain = [
        ...user,
        "--net",
        "--mount",
        "--propagation",
        "private",
        "--",
        t.sh,
        "-c",
        script(pid),
        "sh",
        w.dir,
        String(w.bytes),
        deno,
        ...args,
      ];
      return pid
        ? [t.setpriv, ["--pdeathsig", "KILL", "--", t.unshare, ...chain]]
        : [t.unshare, chain];
    },
  };
}

/** No namespaces; still SIGKILL with the server when `setpriv` is there. */
function none(reason: string): Sandbox {
  const setpriv = process.platform === "linux" ? which("setpriv") : undefined;
  return {
    kind: "none",
    reason,
    diesWithServer: setpriv !== undefined,
    pidNamespaces: false,
    command: (deno, args) =>
      setpriv ? [setpriv, ["--pdeathsig", "KILL", "--", deno, ...args]] : [deno, [...args]],
  };
}

/**
 * Runs the sandbox around a `sleep`: resolves undefined once the setup reports it is done, or
 * with what went wrong (its stderr, or the exit) when it does not within 5 s.
 */
function attempt(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(why);
    };
    const timer = setTimeout(
      () => done(err.trim() || "the setup did not finish within 5 s"),
      5_000,
    );
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes('"sandboxed"')) done(undefined);
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", (e) => done(e.message));
    child.on("exit", (code, signal) => {
      if (!out.includes('"sandboxed"')) done(err.trim() || `exit ${code ?? signal}`);
    });
  });
}

/**
 * Finds out how this server can confine its instances, by trying it once (about 10 ms).
 *
 * @throws FnbaseError `CONFIG_INVALID` when `setting` is `require` and namespaces cannot be made.
 */
export async function detectSandbox(setting: SandboxSetting): Promise<Sandbox> {
  if (setting === "off") return none("the sandbox is off (sandbox: off)");
  const fail = (why: string): Sandbox => {
    if (setting === "require") {
      throw new FnbaseError("CONFIG_INVALID", `Cannot isolate function instances: ${why}`, {
        hint: "Run the server on Linux as root or with unprivileged user namespaces allowed (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), with util-linux and iproute2; or set FNBASE_SANDBOX=off to run without",
      });
    }
    return none(why);
  };
  if (process.platform !== "linux")
    return fail(`namespaces need Linux (this is ${process.platform})`);
  const tools: Partial<Tools> = {
    unshare: which("unshare"),
    sh: which("sh"),
    ip: which("ip"),
    mount: which("mount"),
    setpriv: which("setpriv"),
  };
  const missing = Object.entries(tools).filter(([, v]) => v === undefined);
  if (missing.length > 0) {
    return fail(`not found on PATH: ${missing.map(([k]) => k).join(", ")}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "fnbase-sandbox-"));
  try {
    const sleep = which("sleep") ?? "/bin/sleep";
    const run = (s: Sandbox, pid: boolean) =>
      attempt(...s.command(sleep, ["10"], { dir, bytes: 1 << 20 }, { pid }));
    // With a PID namespace (the host runtime's), else without (see `pidNamespaces`).
    if ((await run(namespaces(tools as Tools, true), true)) === undefined) {
      return namespaces(tools as Tools, true);
    }
    const sandbox = namespaces(tools as Tools, false);
    const error = await run(sandbox, false);
    return error === undefined ? sandbox : fail(error);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
