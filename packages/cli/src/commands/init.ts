import { resolve } from "node:path";
import { isCancel, text } from "@clack/prompts";
import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { writeTemplate } from "../lib/template.js";

/** `fnbase init [dir]`: a new project from the template. */
export function register(parent: Command): void {
  withJson(parent.command("init"))
    .argument("[dir]", "where to create the project (asked for in a terminal)")
    .option("-y, --yes", "ask nothing; use the defaults")
    .description(
      "Create a project: base44/config.jsonc, a hello function, .gitignore, tsconfig.json",
    )
    .action(
      run<{ yes?: boolean }, [string | undefined]>(async ({ out, opts }, given) => {
        let dir = given;
        if (dir === undefined && out.interactive && !opts.yes) {
          const v = await text({ message: "Project folder", placeholder: ".", defaultValue: "." });
          if (isCancel(v)) return 1;
          dir = v;
        }
        const root = resolve(dir ?? ".");
        const files = await writeTemplate(root);
        out.result({ root, files });
        out.line(`Created a project in ${root}:`);
        for (const f of files) out.line(`  ${f}`);
        out.line("");
        out.line(
          `Next: ${out.c.cyan(`fnbase dev ${dir ?? "."}`)} to serve it, then \`fnbase link\` and \`fnbase deploy\``,
        );
        return 0;
      }),
    );
}
