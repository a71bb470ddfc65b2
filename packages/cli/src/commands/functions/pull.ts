import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { appPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { pullFunctions } from "../../lib/pull.js";
import type { RemoteFunction } from "../../lib/remote.js";

/** `fnbase functions pull [name]`: writes deployed code into the local project. */
export function register(parent: Command): void {
  withApp(parent.command("pull"))
    .argument("[name]", "only this function (default: all)")
    .description("Write the deployed code of functions into the project")
    .action(
      run<{ appId?: string }, [string | undefined]>(async ({ out, opts, api }, name) => {
        const project = await loadProject(process.cwd());
        const appId = await resolveAppId(opts.appId ?? project.appId);
        const { functions } = await (await api()).request<{ functions: RemoteFunction[] }>(
          `${appPath(appId)}/backend-functions`,
        );
        const files = await pullFunctions(project, functions, name);
        out.result({ app_id: appId, files });
        for (const f of files) {
          out.line(
            `${f.path} ${f.status === "written" ? out.c.green("written") : out.c.dim("unchanged")}`,
          );
        }
        out.line(
          `${files.filter((f) => f.status === "written").length} written, ${files.filter((f) => f.status === "unchanged").length} unchanged`,
        );
        return 0;
      }),
    );
}
