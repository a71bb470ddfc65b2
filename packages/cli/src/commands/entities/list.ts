import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { fetchEntitySchemas, summarize } from "../../lib/entities.js";

/** `fnbase entities list`: the app's entity schemas, with field counts and access rules. */
export function register(parent: Command): void {
  withApp(parent.command("list"))
    .description("List the app's entity schemas: fields and access rules")
    .action(
      run<{ appId?: string }>(async ({ out, opts, api }) => {
        const appId = await resolveAppId(opts.appId);
        const entities = (await fetchEntitySchemas(await api(), appId)).map(summarize);
        out.result({
          app_id: appId,
          entities: entities.map((e) => ({ ...e, has_access_rules: e.access_rules.length > 0 })),
        });
        if (entities.length === 0) out.line("No entity schemas: run `fnbase entities push`");
        const width = Math.max(0, ...entities.map((e) => e.name.length));
        for (const e of entities) {
          const fields = `${e.fields} field${e.fields === 1 ? "" : "s"}`;
          const rules =
            e.access_rules.length > 0
              ? `access rules: ${e.access_rules.join(", ")}`
              : out.c.dim("no access rules");
          out.line(`${e.name.padEnd(width)}  ${fields.padEnd(10)}  ${rules}`);
        }
        return 0;
      }),
    );
}
