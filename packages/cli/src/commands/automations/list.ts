import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { describeTrigger, listAutomations } from "../../lib/automations.js";

/** `fnbase automations list`: every automation of the app, its next run and last result. */
export function register(parent: Command): void {
  withApp(parent.command("list"))
    .description("List the app's automations with their next run and last result")
    .action(
      run<{ appId?: string }>(async ({ out, opts, api }) => {
        const appId = await resolveAppId(opts.appId);
        const automations = await listAutomations(await api(), appId);
        out.result({ app_id: appId, automations });
        if (automations.length === 0) {
          out.line("No automations: add them to function.jsonc, or create them with the API");
        }
        for (const a of automations) {
          const status =
            a.status === "active"
              ? out.c.green(a.status)
              : a.status === "disabled"
                ? out.c.yellow(a.status)
                : out.c.dim(a.status);
          const next = a.next_run_at ? `next ${a.next_run_at}` : "";
          const last = a.last_run
            ? `last ${a.last_run.status} ${a.last_run.finished_at ?? ""}`
            : "never ran";
          out.line(
            `${a.id}  ${`${a.function_name}:${a.name}`.padEnd(30)} ${status.padEnd(8)} ${describeTrigger(a)}`,
          );
          out.line(`    ${out.c.dim([next, last].filter(Boolean).join("  "))}`);
        }
        return 0;
      }),
    );
}
