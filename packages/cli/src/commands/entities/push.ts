import { relative, sep } from "node:path";
import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { assertNoEntityProblems, pushEntities } from "../../lib/entities.js";

/**
 * `fnbase entities push`: full sync of the project's entity schemas to the app. Entities only
 * the server has leave the app's schema (their records stay, and come back with the schema);
 * the command says which before it sends. With no entity files it calls nothing.
 */
export function register(parent: Command): void {
  withApp(parent.command("push"))
    .description(
      "Replace the app's entity schemas with the project's (records of removed entities are kept)",
    )
    .action(
      run<{ appId?: string }>(async ({ out, opts, api }) => {
        const { c } = out;
        const project = await loadProject(process.cwd());
        if (
          project.entities.length === 0 &&
          !project.problems.some((p) => p.resource === "entity")
        ) {
          const dir = relative(project.root, project.entitiesDir).split(sep).join("/");
          out.result({ pushed: false, created: [], updated: [], deleted: [] });
          out.line(`No entity files in ${dir}: nothing to push`);
          return 0;
        }
        assertNoEntityProblems(project);
        const appId = await resolveAppId(opts.appId ?? project.appId);
        const names = project.entities.map((e) => e.name);
        out.line(
          `Pushing ${names.length} ${names.length === 1 ? "entity" : "entities"}: ${names.join(", ")}`,
        );
        const { result } = await pushEntities(await api(), appId, project, (gone) => {
          if (gone.length === 0) return;
          out.line(
            c.yellow(
              `Not in the project, so leaving the app's schema: ${gone.join(", ")} (their records are kept and come back if you push the schema again)`,
            ),
          );
        });
        out.result({ app_id: appId, pushed: true, ...result });
        if (result.created.length > 0)
          out.line(`${c.green("Created:")} ${result.created.join(", ")}`);
        if (result.updated.length > 0)
          out.line(`${c.green("Updated:")} ${result.updated.join(", ")}`);
        if (result.deleted.length > 0) {
          out.line(
            `${c.yellow("Removed from the schema:")} ${result.deleted.join(", ")} (records kept)`,
          );
        }
        out.line(
          `Entities pushed: ${result.created.length} created, ${result.updated.length} updated, ${result.deleted.length} removed`,
        );
        return 0;
      }),
    );
}
