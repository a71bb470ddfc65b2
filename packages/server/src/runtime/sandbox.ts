import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
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
   * The command and arguments that run `deno args` in the sandbox. With namespaces, the
   * process writes a `sandboxed` record once its loopback is up and its tmpfs mounted (or is
   * killed if that fails); nothing may use them before.
   */
  command(deno: string, args: readonly string[], writable: Writable): [string, string[]];
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
 * the parent and `--pdeathsig` holds.
 */
function namespaces(t: Tools): Sandbox {
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
  const script = `main=$$; ( ( ${setup} || kill -KILL "$main" ) & ); shift 2; exec ${quote(t.setpriv)} --pdeathsig KILL -- "$@"`;
  return {
    kind: "namespaces",
    diesWithServer: true,
    command: (deno, args, w) => [
      t.unshare,
      [
        ...user,
        "--net",
        "--mount",
        "--propagation",
        "private",
        "--",
        t.sh,
        "-c",
        script,
        "sh",
        w.dir,
        String(w.bytes),
        deno,
        ...args,
      ],
    ],
  };
}

/** No namespaces; still SIGKILL with the server when `setpriv` is there. */
function none(reason: string): Sandbox {
  const setpriv = process.platform === "linux" ? which("setpriv") : undefined;
  return {
    kind: "none",
    reason,
    diesWithServer: setpriv !== undefined,
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
  const sandbox = namespaces(tools as Tools);
  const dir = await mkdtemp(join(tmpdir(), "fnbase-sandbox-"));
  try {
    const sleep = which("sleep") ?? "/bin/sleep";
    const [cmd, args] = sandbox.command(sleep, ["10"], { dir, bytes: 1 << 20 });
    const error = await attempt(cmd, args);
    return error === undefined ? sandbox : fail(error);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
