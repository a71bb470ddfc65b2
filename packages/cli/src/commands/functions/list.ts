import type { Command } from "commander";
import { appPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import type { RemoteFunction } from "../../lib/remote.js";

/** `fnbase functions list`: the app's deployed functions. */
export function register(parent: Command): void {
  withApp(parent.command("list"))
    .description("List the app's deployed functions")
    .action(
      run<{ appId?: string }>(async ({ out, opts, api }) => {
        const appId = await resolveAppId(opts.appId);
        const { functions } = await (await api()).request<{ functions: RemoteFunction[] }>(
          `${appPath(appId)}/backend-functions`,
        );
        out.result({ app_id: appId, functions });
        if (functions.length === 0) out.line("No functions deployed: run `fnbase deploy`");
        for (const f of functions) {
          out.line(`${f.name.padEnd(28)} ${out.c.dim(f.deployment_id)}  ${f.files.length} file(s)`);
        }
        return 0;
      }),
    );
}
