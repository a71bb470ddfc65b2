import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { resolveAppId } from "../core/app.js";
import { run, withApp } from "../core/command.js";
import { EXIT } from "../core/exit-codes.js";
import { type DeployLine, deployProject } from "../lib/deploy.js";

interface Options {
  appId?: string;
  force?: boolean;
}

/** `fnbase deploy [names...] [--force]`: uploads the project's functions. */
export function register(parent: Command): void {
  withApp(parent.command("deploy"))
    .argument("[names...]", "only these functions (default: all)")
    .description("Deploy the project's functions to the linked app")
    .option("--force", "also delete remote functions that are not in the project (not with names)")
    .action(
      run<Options, [string[]]>(async ({ out, opts, api }, names) => {
        const { c } = out;
        const project = await loadProject(process.cwd());
        const appId = await resolveAppId(opts.appId ?? project.appId);
        const client = await api();
        const colour = (l: DeployLine) =>
          l.status === "error"
            ? c.red(`error: ${l.error}`)
            : l.status === "unchanged"
              ? c.dim(l.status)
              : c.green(l.status);
        const { lines, skippedDelete } = await deployProject(client, appId, project, {
          names,
          force: Boolean(opts.force),
          onLine: (l, i, total) => out.line(`${c.dim(`[${i}/${total}]`)} ${l.name} ${colour(l)}`),
        });
        const count = (s: DeployLine["status"]) => lines.filter((l) => l.status === s).length;
        const failed = count("error");
        const summary = {
          deployed: count("deployed"),
          unchanged: count("unchanged"),
          deleted: count("deleted"),
          failed,
        };
        const hints = skippedDelete
          ? ["--force deleted nothing because the project has problems: fix them first"]
          : [];
        if (skippedDelete) out.line(c.yellow(hints[0]));
        out.line(
          `${failed > 0 ? c.red("Deploy finished with errors:") : c.green("Deploy finished:")} ` +
            `${summary.deployed} deployed, ${summary.unchanged} unchanged, ${summary.deleted} deleted, ${failed} failed`,
        );
        out.result({
          ...(failed > 0
            ? {
                error: `${failed} of ${lines.length} functions failed to deploy`,
                code: "UNPROCESSABLE",
                hints,
              }
            : {}),
          app_id: appId,
          functions: lines,
          summary,
        });
        return failed > 0 ? EXIT.FAILURE : EXIT.OK;
      }),
    );
}
