import type { Command } from "commander";
import { appPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";

/** `fnbase secrets list`: names only, never values. */
export function register(parent: Command): void {
  withApp(parent.command("list"))
    .description("List secret names (values are never shown)")
    .action(
      run<{ appId?: string }>(async ({ out, opts, api }) => {
        const appId = await resolveAppId(opts.appId);
        const masked = await (await api()).request<Record<string, string>>(
          `${appPath(appId)}/secrets`,
          {
            feature: "Secrets",
          },
        );
        const names = Object.keys(masked).sort();
        out.result({ app_id: appId, secrets: names });
        if (names.length === 0)
          out.line("No secrets: set one with `fnbase secrets set NAME=value`");
        for (const n of names) out.line(n);
        return 0;
      }),
    );
}
