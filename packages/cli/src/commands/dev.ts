import type { FunctionOutputLine } from "@fnbase/server";
import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { portOptionAs, untilStopped } from "../core/lifetime.js";
import { portOption } from "../core/numbers.js";
import { type Colors, levelled } from "../core/output.js";
import { devBanner } from "../lib/dev-banner.js";

interface Options {
  port: number;
  data?: string;
  allowAll?: boolean;
  /** False with --no-check. */
  check: boolean;
}

/** Formats one line of function output: `[name] message`, its level as {@link levelled} says. */
export function formatOutputLine(c: Colors, line: FunctionOutputLine): string {
  const tag =
    line.source === "platform" ? c.dim(`[${line.function}]`) : c.magenta(`[${line.function}]`);
  return `${tag} ${levelled(c, line.level, line.message)}`;
}

/**
 * `fnbase dev [dir]`: serves a local project and reloads it on every change, until Ctrl-C, a
 * SIGTERM, or its parent process going away.
 */
export function register(parent: Command): void {
  withJson(parent.command("dev"))
    .argument("[dir]", "the project folder", ".")
    .description("Serve a local project with live reload")
    .option("-p, --port <port>", "port to listen on; 0 picks a free one", portOption, 4400)
    .option("--data <dir>", "data directory (store, deployments, keys); default <project>/.fnbase")
    .option("--allow-all", "give functions every Deno permission (default: sandboxed)")
    .option("--no-check", "do not check the functions' types after each reload")
    .action(
      run<Options, [string]>(async ({ out, opts }, dir) => {
        // Read first: the parent may go while the server starts.
        const parentPid = process.ppid;
        const { c } = out;
        const { startDevServer } = await import("@fnbase/server");
        const dev = await startDevServer({
          dir,
          port: opts.port,
          portOption: portOptionAs(),
          // The server's own log stays JSON lines under --json.
          ...(opts.json ? { logFormat: "json" as const } : {}),
          ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
          allowAll: Boolean(opts.allowAll),
          checkTypes: opts.check,
          print: (kind, message) => {
            if (kind === "problem") out.line(`${c.red("problem")} ${message}`);
            else if (kind === "warning") out.line(`${c.yellow("warning")} ${message}`);
            else if (kind === "reload") out.line(`${c.green("reload")} ${message}`);
            else if (kind === "note") out.line(`${c.yellow("note")} ${message}`);
            else if (kind === "checked") out.line(`${c.green("types")} ${message}`);
            // "info" repeats the platform's own "Deployed <name>" line; skip it.
          },
          onFunctionOutput: (line) => out.line(formatOutputLine(c, line)),
        });
        const names = dev.server.functionNames(dev.appId).sort();
        const entities = dev.project.entities.map((e) => e.name);
        out.result({
          url: dev.server.url,
          app_id: dev.appId,
          functions: names.map((name) => ({ name, url: `${dev.server.url}/functions/${name}` })),
          entities: entities.map((name) => ({
            name,
            url: `${dev.server.url}/api/apps/${dev.appId}/entities/${name}`,
          })),
        });
        for (const l of devBanner(
          c,
          dev.server.url,
          dev.appId,
          names,
          entities,
          dev.server.adminKeyGenerated ? dev.server.adminKey : undefined,
          dev.server.dashboardSignInLink(`/apps/${encodeURIComponent(dev.appId)}`),
        ))
          out.line(l);
        // Ends with Ctrl-C, a SIGTERM, or when what started it is gone (`npm start` killed).
        await untilStopped(() => dev.close(), { parent: parentPid });
        return 0;
      }),
    );
}
