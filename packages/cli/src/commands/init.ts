import { basename, resolve } from "node:path";
import { isCancel, text } from "@clack/prompts";
import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { invokedAs } from "../core/lifetime.js";
import { writeTemplate } from "../lib/template.js";

/** `fnbase init [dir] [--name N]`: a new project from the template. */
export function register(parent: Command): void {
  withJson(parent.command("init"))
    .argument("[dir]", "where to create the project (asked for in a terminal)")
    .option("--name <name>", "the app's name in base44/config.jsonc (default: the folder's name)")
    .option("-y, --yes", "ask nothing; use the defaults")
    .description(
      "Create a project: base44/config.jsonc, a hello function, a Task entity, Deno and TypeScript settings",
    )
    .action(
      run<{ yes?: boolean; name?: string }, [string | undefined]>(async ({ out, opts }, given) => {
        const ask = out.interactive && !opts.yes;
        let dir = given;
        if (dir === undefined && ask) {
          const v = await text({ message: "Project folder", placeholder: ".", defaultValue: "." });
          if (isCancel(v)) return 1;
          dir = v;
        }
        const root = resolve(dir ?? ".");
        let name = opts.name ?? (basename(root) || "app");
        if (opts.name === undefined && ask) {
          const v = await text({ message: "App name", placeholder: name, defaultValue: name });
          if (isCancel(v)) return 1;
          name = v;
        }
        const files = await writeTemplate(root, name);
        out.result({ root, name: name.trim(), files });
        out.line(`Created a project in ${root}:`);
        for (const f of files) out.line(`  ${f}`);
        out.line("");
        out.line(
          out.c.dim(
            "Task's access rules (rls in base44/entities/Task.jsonc) let each signed-in user read and change their own tasks; an entity without rls is open to anyone.",
          ),
        );
        const fnbase = invokedAs();
        const step = (cmd: string, what: string) =>
          out.line(`  ${`${fnbase} ${cmd}`.padEnd(fnbase.length + 22)}${what}`);
        out.line(`Next: ${out.c.cyan(`${fnbase} dev ${dir ?? "."}`)} to serve it locally; then`);
        step("link", "link the folder to an app on your server");
        step("deploy", "push the entity schemas, then deploy the functions");
        step("types generate", "typed function names and entities for the SDKs");
        return 0;
      }),
    );
}
