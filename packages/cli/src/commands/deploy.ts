import { loadProject, type Project } from "@fnbase/project";
import type { Command } from "commander";
import { resolveAppId } from "../core/app.js";
import type { ApiClient } from "../core/client.js";
import { run, withApp } from "../core/command.js";
import { EXIT } from "../core/exit-codes.js";
import type { Output } from "../core/output.js";
import { type DeployLine, deployProject } from "../lib/deploy.js";
import { pushEntities, type SyncResult } from "../lib/entities.js";

interface Options {
  appId?: string;
  force?: boolean;
}

/**
 * `fnbase deploy [names...] [--force]`: pushes the project's entity schemas (when it has any,
 * as `base44 deploy` does first), then uploads its functions. A failed entity push stops the
 * deploy before any function is uploaded. With names, only those functions, no entities.
 */
export function register(parent: Command): void {
  withApp(parent.command("deploy"))
    .argument("[names...]", "only these functions (default: all, and the entity schemas first)")
    .description("Deploy the project's entity schemas and functions to the linked app")
    .option("--force", "also delete remote functions that are not in the project (not with names)")
    .action(
      run<Options, [string[]]>(async ({ out, opts, api }, names) => {
        const { c } = out;
        const project = await loadProject(process.cwd());
        const appId = await resolveAppId(opts.appId ?? project.appId);
        const client = await api();
        for (const note of project.notes) out.line(c.yellow(`Note: ${note.message}`));
        const entities = names.length === 0 ? await entityStep(client, appId, project, out) : null;
        const colour = (l: DeployLine) =>
          l.status === "error"
            ? c.red(`error: ${l.error}`)
            : l.status === "unchanged"
              ? c.dim(l.status)
              : c.green(l.status);
        const { lines, skippedDelete, serverOnly } = await deployProject(client, appId, project, {
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
        if (serverOnly.length > 0) {
          out.line(
            c.yellow(
              `Only on the server, not in this project: ${serverOnly.join(", ")} (left as they are; delete them with \`fnbase functions delete ${serverOnly.join(" ")}\` or \`fnbase deploy --force\`)`,
            ),
          );
        }
        out.line(
          `${failed > 0 ? c.red("Deploy finished with errors:") : c.green("Deploy finished:")} ` +
            `${summary.deployed} deployed, ${summary.unchanged} unchanged, ${summary.deleted} deleted, ${failed} failed`,
        );
        const dashboard = `${client.creds.server.replace(/\/+$/, "")}/_/apps/${encodeURIComponent(appId)}/functions`;
        out.line(`Dashboard: ${dashboard}`);
        out.result({
          ...(failed > 0
            ? {
                error: `${failed} of ${lines.length} functions failed to deploy`,
                code: "UNPROCESSABLE",
                hints,
              }
            : {}),
          app_id: appId,
          dashboard,
          entities,
          functions: lines,
          server_only: serverOnly,
          notes: project.notes.map((n) => n.message),
          summary,
        });
        return failed > 0 ? EXIT.FAILURE : EXIT.OK;
      }),
    );
}

/**
 * The entity step: a full sync when the project has entity files (or broken ones, which stop
 * the deploy), one line with the counts; `null` when it has none (the server is not called).
 */
async function entityStep(
  client: ApiClient,
  appId: string,
  project: Project,
  out: Output,
): Promise<SyncResult | null> {
  const touched =
    project.entities.length > 0 || project.problems.some((p) => p.resource === "entity");
  if (!touched) return null;
  const { result } = await pushEntities(client, appId, project);
  const removed =
    result.deleted.length > 0
      ? ` (${result.deleted.join(", ")}: not in the project; records kept)`
      : "";
  out.line(
    `Entities: ${result.created.length} created, ${result.updated.length} updated, ${result.deleted.length} removed from the schema${removed}`,
  );
  return result;
}
