import { loadProject } from "@fnbase/project";
import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";
import { writeTypes } from "../../lib/types.js";

/** `fnbase types generate`: typed function names for the SDKs. */
export function register(parent: Command): void {
  withJson(parent.command("generate"))
    .description(
      "Write base44/.types/types.d.ts (typed function names) and add it to tsconfig.json",
    )
    .action(
      run(async ({ out }) => {
        const project = await loadProject(process.cwd());
        const r = await writeTypes(project);
        out.result(r);
        for (const p of project.problems) out.note(out.c.yellow(`problem: ${p.message}`));
        out.line(`Wrote ${r.file} (${r.functions.length} function(s))`);
        if (r.tsconfig === "updated") out.line("Added base44/.types to tsconfig.json's include");
        if (r.tsconfig === "created") out.line("Created tsconfig.json including base44/.types");
        if (r.tsconfig === "unreadable")
          out.line(
            out.c.yellow(
              'Add "base44/.types" to tsconfig.json\'s include yourself (it is not plain JSON)',
            ),
          );
        return 0;
      }),
    );
}
