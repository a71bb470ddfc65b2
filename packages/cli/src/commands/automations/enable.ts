import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { setActive } from "../../lib/automations.js";

/** `fnbase automations enable <automation>`: starts its schedule and events again, without a deploy. */
export function register(parent: Command): void {
  withApp(parent.command("enable"))
    .argument("<automation>", "the automation's id, name or <function>:<name>")
    .description("Enable an automation without a deploy (until a deploy that lists it)")
    .action(
      run<{ appId?: string }, [string]>(async ({ out, opts, api }, ref) => {
        const appId = await resolveAppId(opts.appId);
        const a = await setActive(await api(), appId, ref, true);
        out.result({ app_id: appId, automation: a });
        const next = a.next_run_at ? ` (next run ${a.next_run_at})` : "";
        out.line(`${a.function_name}:${a.name} ${a.status}${next}`);
        return 0;
      }),
    );
}
