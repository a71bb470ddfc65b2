/**
 * How the long-running commands (`fnbase server`, `fnbase dev`) end: on SIGINT or SIGTERM, and
 * for `fnbase dev` also when the process that started it goes away.
 */

/** How often the parent is looked at, in ms. */
const PARENT_POLL_MS = 200;

/** True when `npx` / `npm exec` started this process (npm sets `npm_command=exec`). */
export const startedByNpx = (env: NodeJS.ProcessEnv = process.env) => env.npm_command === "exec";

/** The command to tell the user to type: `npx fnbase` under npx (a local install), else `fnbase`. */
export const invokedAs = (env: NodeJS.ProcessEnv = process.env) =>
  startedByNpx(env) ? "npx fnbase" : "fnbase";

/**
 * How to pass `--port` the way the user started the CLI: `npm start -- --port <port>` under
 * `npm start` (npm takes options before `--` as its own), `npm run <script> -- --port <port>`
 * under another npm script, else `--port`. The server's busy-port hint says it
 * (`ServerOptions.portOption`).
 */
export function portOptionAs(env: NodeJS.ProcessEnv = process.env): string {
  const script = env.npm_lifecycle_event;
  if (env.npm_command === "start" && script === "start") return "npm start -- --port <port>";
  if (env.npm_command === "run-script" && script) return `npm run ${script} -- --port <port>`;
  return "--port";
}

/** Options of {@link untilStopped}. */
export interface StopOptions {
  /**
   * The parent's process id, read when the command started: stop as soon as this process has
   * another parent (the first one is gone). For `fnbase dev` only. `npm start` runs it through
   * `sh -c`, and npm forwards a signal sent to it (`kill <npm pid>`, an editor's stop button) to
   * that shell alone, which dies and leaves its child running. `fnbase server` does only when
   * `npx` (`npm exec`) started it ({@link startedByNpx}): `kill <npx pid>` ends npx alone, and
   * the server it started must go with it. Otherwise a server is left alone: a daemonizer
   * (`nohup … &`, `setsid`, a double fork) reparents it on purpose.
   */
  parent?: number;
}

/**
 * Waits for SIGINT or SIGTERM (or the parent to go, see {@link StopOptions.parent}), then runs
 * `close` once and resolves with what stopped it.
 *
 * @example
 * const parent = process.ppid;
 * const dev = await startDevServer({ dir: "." });
 * await untilStopped(() => dev.close(), { parent });
 */
export function untilStopped(
  close: () => Promise<void>,
  o: StopOptions = {},
): Promise<"signal" | "parent"> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (why: "signal" | "parent") => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      clearInterval(timer);
      void close().finally(() => resolve(why));
    };
    const onSignal = () => stop("signal");
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const parent = o.parent;
    if (parent !== undefined) {
      const look = () => {
        if (process.ppid !== parent) stop("parent");
      };
      timer = setInterval(look, PARENT_POLL_MS);
      timer.unref();
      look();
    }
  });
}
