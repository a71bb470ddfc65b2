import { join } from "node:path";
import { isCancel, select } from "@clack/prompts";
import { findProjectRoot, writeAppLink } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import type { Command } from "commander";
import { appPath } from "../core/app.js";
import { run, withJson } from "../core/command.js";
import type { RemoteApp } from "../lib/apps.js";

/** `fnbase link [appId]`: writes `base44/.app.jsonc`. */
export function register(parent: Command): void {
  withJson(parent.command("link"))
    .argument("[appId]", "the app to link (asked for in a terminal when left out)")
    .description("Link this project to an app (writes base44/.app.jsonc)")
    .action(
      run<object, [string | undefined]>(async ({ out, api }, given) => {
        const root = await findProjectRoot(process.cwd());
        if (root === undefined) {
          throw new FnbaseError(
            "PROJECT_INVALID",
            `No project found: no base44/config.jsonc in ${process.cwd()} or above`,
            {
              hint: "Run `fnbase init` to create a project",
            },
          );
        }
        const client = await api();
        let appId = given;
        if (appId === undefined) {
          if (!out.interactive) {
            throw new FnbaseError("USAGE", "Missing app id", {
              hint: "Pass it: `fnbase link <appId>` (see `fnbase apps list`)",
            });
          }
          const apps = await client.request<RemoteApp[]>("/api/apps");
          if (apps.length === 0) {
            throw new FnbaseError("APP_NOT_FOUND", "No apps on this server", {
              hint: "Run `fnbase apps create <name>`",
            });
          }
          const picked = await select({
            message: "Which app?",
            options: apps.map((a) => ({ value: a.id, label: `${a.name} (${a.id})` })),
          });
          if (isCancel(picked)) return 1;
          appId = picked;
        }
        const app = await client.request<RemoteApp>(appPath(appId));
        await writeAppLink(join(root, "base44"), app.id);
        out.result({ app_id: app.id, name: app.name, file: join(root, "base44", ".app.jsonc") });
        out.line(`Linked ${root} to ${out.c.bold(app.name)} ${out.c.cyan(app.id)}`);
        return 0;
      }),
    );
}
