import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";
import { TYPES_INCLUDE } from "../../lib/tsconfig.js";
import { writeTypes } from "../../lib/types.js";

/** `fnbase types generate`: typed function names and entity types for the SDKs. */
export function register(parent: Command): void {
  withJson(parent.command("generate"))
    .description(
      "Write base44/.types/types.d.ts (function names, entity types) and include it in tsconfig.json",
    )
    .action(
      run(async ({ out }) => {
        const project = await loadProject(process.cwd());
        const r = await writeTypes(project);
        out.result(r);
        for (const p of project.problems) out.note(out.c.yellow(`problem: ${p.message}`));
        for (const n of project.notes) out.note(out.c.yellow(`note: ${n.message}`));
        out.line(
          `Wrote ${r.file} (${r.functions.length} function(s), ${r.entities.length} entity type(s))`,
        );
        if (r.tsconfig === "updated") out.line(`Added ${TYPES_INCLUDE} to tsconfig.json's include`);
        if (r.tsconfig === "created") out.line(`Created tsconfig.json including ${TYPES_INCLUDE}`);
        if (r.tsconfig === "unreadable")
          out.line(
            out.c.yellow(
              `Add "${TYPES_INCLUDE}" to tsconfig.json's include yourself (the file could not be parsed)`,
            ),
          );
        return 0;
      }),
    );
}
