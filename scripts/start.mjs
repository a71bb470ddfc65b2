// `npm start [-- <fnbase dev options>]`: builds fnbase, then runs
// `fnbase dev examples/quickstart --port 4400` in this same process; options after `--` are added
// and win (`npm start -- --port 0`, `npm start -- --port 8080 --data /tmp/qs`).
//
// One process, so that what stops it reaches the server. npm runs a script through `sh -c` and
// forwards a signal sent to npm (`kill <npm pid>`, what a process manager or an editor's stop
// button does) to that shell only, which dies and leaves its child running. So `fnbase dev` also
// stops when its parent goes away (packages/cli/src/core/lifetime.ts), and its Deno processes
// stop with it. A parent gone during the build is seen here, before the server starts.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const parent = process.ppid;

// Under npm, its own CLI (no .cmd shim to go through on Windows); else whatever `npm` is.
const npmCli = process.env.npm_execpath;
const build = npmCli
  ? spawnSync(process.execPath, [npmCli, "run", "--silent", "build"], {
      cwd: repo,
      stdio: "inherit",
    })
  : spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", "build"], {
      cwd: repo,
      stdio: "inherit",
      shell: process.platform === "win32",
    });
if (build.status !== 0) process.exit(build.status ?? 1);
if (process.ppid !== parent) process.exit(1);

const { main } = await import("../packages/cli/dist/index.js");
process.exitCode = await main([
  process.argv[0] ?? "node",
  "fnbase",
  "dev",
  join(repo, "examples", "quickstart"),
  "--port",
  "4400",
  ...process.argv.slice(2),
]);
