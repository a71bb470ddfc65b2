import type { Command } from "commander";
import { functionPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import type { RemoteDeployment } from "../../lib/remote.js";

/** `fnbase functions history <name>`: the kept deployments of a function, newest first. */
export function register(parent: Command): void {
  withApp(parent.command("history"))
    .argument("<name>", "the function")
    .description("List a function's kept deployments, newest first")
    .action(
      run<{ appId?: string }, [string]>(async ({ out, opts, api }, name) => {
        const appId = await resolveAppId(opts.appId);
        const { deployments } = await (await api()).request<{ deployments: RemoteDeployment[] }>(
          `${functionPath(appId, name)}/deployments`,
        );
        out.result({ app_id: appId, name, deployments });
        for (const d of deployments) {
          const mark = d.current ? out.c.green("* current") : "";
          out.line(`${d.id}  ${out.c.dim(d.created_date)}  ${d.files} file(s)  ${mark}`);
        }
        return 0;
      }),
    );
}
