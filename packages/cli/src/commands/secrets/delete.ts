import type { Command } from "commander";
import { appPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";

/** `fnbase secrets delete NAME`. */
export function register(parent: Command): void {
  withApp(parent.command("delete"))
    .argument("<name>", "the secret to delete")
    .description("Delete a secret")
    .action(
      run<{ appId?: string }, [string]>(async ({ out, opts, api }, name) => {
        const appId = await resolveAppId(opts.appId);
        await (await api()).request(
          `${appPath(appId)}/secrets?secret_name=${encodeURIComponent(name)}`,
          {
            method: "DELETE",
            feature: "Secrets",
          },
        );
        out.result({ app_id: appId, deleted: name });
        out.line(`Deleted secret ${name}`);
        return 0;
      }),
    );
}
