import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { fetchEntitySchemas } from "../../lib/entities.js";
import { pullEntities } from "../../lib/entity-pull.js";

/** `fnbase entities pull [--force]`: writes the app's entity schemas into the project. */
export function register(parent: Command): void {
  withApp(parent.command("pull"))
    .description("Write the app's entity schemas into the entities folder, one .jsonc per entity")
    .option("--force", "overwrite local entity files that differ from the server's schema")
    .action(
      run<{ appId?: string; force?: boolean }>(async ({ out, opts, api }) => {
        const { c } = out;
        const project = await loadProject(process.cwd());
        const appId = await resolveAppId(opts.appId ?? project.appId);
        const schemas = await fetchEntitySchemas(await api(), appId);
        const files = await pullEntities(project, schemas, Boolean(opts.force));
        out.result({ app_id: appId, files });
        if (files.length === 0) out.line("The app has no entity schemas: nothing to pull");
        for (const f of files) {
          const status =
            f.status === "written"
              ? c.green("written")
              : f.status === "unchanged"
                ? c.dim("unchanged")
                : c.yellow("skipped: the local file differs");
          out.line(`${f.path} ${status}`);
        }
        const count = (s: string) => files.filter((f) => f.status === s).length;
        const skipped = count("skipped");
        out.line(
          `${count("written")} written, ${count("unchanged")} unchanged, ${skipped} skipped`,
        );
        if (skipped > 0) out.line(c.dim("Run with --force to overwrite the files that differ"));
        return 0;
      }),
    );
}
