import type { Command } from "commander";
import { functionPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";

/** `fnbase functions rollback <name> [deploymentId]`: makes an earlier deployment current. */
export function register(parent: Command): void {
  withApp(parent.command("rollback"))
    .argument("<name>", "the function")
    .argument(
      "[deploymentId]",
      "the deployment to make current (default: the one before the current)",
    )
    .description("Make an earlier deployment of a function current again")
    .action(
      run<{ appId?: string }, [string, string | undefined]>(
        async ({ out, opts, api }, name, id) => {
          const appId = await resolveAppId(opts.appId);
          const r = await (await api()).request<{ deployment_id: string }>(
            `${functionPath(appId, name)}/rollback`,
            { method: "POST", body: id === undefined ? {} : { deployment_id: id } },
          );
          out.result({
            app_id: appId,
            name,
            status: "rolled_back",
            deployment_id: r.deployment_id,
          });
          out.line(`${name} ${out.c.green("rolled back")} to ${r.deployment_id}`);
          return 0;
        },
      ),
    );
}
