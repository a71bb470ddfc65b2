/**
 * The program every function instance runs: `deno run [permissions] bootstrap.ts`.
 *
 * It boots before it knows which function it will run, so the host can keep one started ahead
 * of need (a spare): once loaded it sends a `waiting` record and reads its assignment, one JSON
 * line on stdin (see {@link Assignment}). Then it sets the app's secrets as its environment,
 * captures the function's handler (from `Deno.serve(...)` in any of its shapes, or a default
 * export), serves it on the instance's unix socket, and reports to the host through records on
 * stdout (see `_records.ts`): `ready` once it listens, `boot_error` when the code cannot start,
 * `log` for every console call, tagged with the request it belongs to.
 */

import { installConsole } from "./_console.ts";
import { startEgressRelay } from "./_egress_relay.ts";
import { watchOverdue } from "./_overdue.ts";
import { send } from "./_records.ts";
import {
  bootAndServe,
  describe,
  gracefulStop,
  installCapture,
  reportUnhandled,
  warmUp,
} from "./_serve.ts";

// Taken before the function's code runs: a function that replaces Deno.exit cannot keep this
// instance alive once the host tells it to go.
const exit: (code?: number) => never = Deno.exit.bind(Deno);

/** What the host sends on stdin to make this process one function's instance. */
interface Assignment {
  /** Requests without it in `x-fnbase-instance-key` are refused: code of another app that
   * reaches this socket cannot pose as the gateway. */
  key: string;
  /** The function's entry file. */
  entry: string;
  /** The unix socket to serve on. */
  socket: string;
  /** The working directory: the deployment's root. */
  cwd: string;
  /** The app's secrets, set as environment variables before the function's code loads. */
  env: Record<string, string>;
  /** The function's time limit per request, in ms (see _overdue.ts). */
  timeLimitMs?: number;
}

/** Reads the assignment line from stdin; exits when the host goes away before sending one. */
async function readAssignment(): Promise<Assignment> {
  const buf = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const n = await Deno.stdin.read(buf);
    if (n === null) exit(0);
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  const a = JSON.parse(text.slice(0, text.indexOf("\n"))) as Partial<Assignment>;
  if (!a.key || !a.entry || !a.socket || !a.cwd || typeof a.env !== "object" || !a.env) {
    send({ t: "boot_error", m: "The host sent an incomplete assignment" });
    exit(2);
  }
  return a as Assignment;
}

installConsole();
installCapture();
reportUnhandled();

// Not in TMPDIR: in the sandbox, that folder is mounted while the process boots.
await warmUp(Deno.env.get("FNBASE_WARMUP_SOCKET")).catch(() => {});

// Everything above is the same for every function: a spare has done it before it is needed.
send({ t: "waiting" });
const {
  key: instanceKey,
  entry,
  socket: socketPath,
  cwd,
  env,
  timeLimitMs,
} = await readAssignment();
const started = performance.now();
if (timeLimitMs !== undefined && timeLimitMs > 0) watchOverdue(timeLimitMs);

// In the sandbox, the way out of the instance's network namespace (see _egress_relay.ts); the
// host sends the assignment once the namespace's loopback is up.
const egressSocket = Deno.env.get("FNBASE_EGRESS_SOCKET");
const egressPort = Number(Deno.env.get("FNBASE_EGRESS_PORT"));
if (egressSocket && egressPort > 0) {
  try {
    startEgressRelay(egressPort, egressSocket);
  } catch (err) {
    send({ t: "boot_error", ...describe(err) });
    exit(1);
  }
}

const server = await bootAndServe({
  key: instanceKey,
  entry,
  socket: socketPath,
  cwd,
  started,
  exit,
  prepare() {
    for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
    Deno.chdir(cwd);
  },
});

/** Stops taking requests, lets those in progress and their pending work finish, and exits. */
const stop = gracefulStop(() => server, exit);

Deno.addSignalListener("SIGTERM", () => void stop());

// The host keeps stdin open for this process's life: its end means the host is gone (even one
// killed without a chance to stop its instances), and nobody can reach this instance any more.
// Until then it sends a "p" now and then while the process keeps the CPU busy: the answer
// (a pong record) says the event loop still turns (see the host's runtime/watchdog.ts).
(async () => {
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      if (buf.subarray(0, n).includes(0x70)) send({ t: "pong" });
    }
  } catch {
    // a broken pipe ends it as well
  }
  // Nobody will send a SIGKILL after this: work that never ends must not keep it alive.
  setTimeout(() => exit(0), 5_000);
  await stop();
})();
