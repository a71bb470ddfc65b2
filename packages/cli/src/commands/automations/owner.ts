import { FnbaseError } from "@fnbase/shared";
import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { setOwner } from "../../lib/automations.js";

/**
 * `fnbase automations owner <automation> <email>`: the user an automation's runs act as
 * (`auth.me()` in the function); `--none` runs it as the service role alone.
 */
export function register(parent: Command): void {
  withApp(parent.command("owner"))
    .argument("<automation>", "the automation's id, name or <function>:<name>")
    .argument("[email]", "the email of a user of the app")
    .option("--none", "no owner: runs act as the service role only")
    .description("Set the user an automation runs as (what auth.me() answers in its runs)")
    .action(
      run<{ appId?: string; none?: boolean }, [string, string | undefined]>(
        async ({ out, opts, api }, ref, email) => {
          if ((email === undefined) === !opts.none) {
            throw new FnbaseError("USAGE", "Give the owner's email, or --none (not both)", {
              hint: "fnbase automations owner nightly ada@example.com",
            });
          }
          const appId = await resolveAppId(opts.appId);
          const a = await setOwner(await api(), appId, ref, opts.none ? null : (email as string));
          out.result({ app_id: appId, automation: a });
          out.line(
            `${a.function_name}:${a.name} runs as ${a.owner?.email ?? a.owner?.id ?? "the service role (no owner)"}`,
          );
          return 0;
        },
      ),
    );
}
