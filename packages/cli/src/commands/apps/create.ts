import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";
import type { RemoteApp } from "../../lib/apps.js";

/** `fnbase apps create <name>`: creates an app. */
export function register(parent: Command): void {
  withJson(parent.command("create"))
    .argument("<name>", "the app's display name")
    .option("--id <id>", "choose the app id (default: generated)")
    .description("Create an app")
    .action(
      run<{ id?: string }, [string]>(async ({ out, opts, api }, name) => {
        const app = await (await api()).request<RemoteApp>("/api/apps", {
          method: "POST",
          body: { name, ...(opts.id ? { id: opts.id } : {}) },
        });
        out.result(app);
        out.line(`Created app ${out.c.bold(app.name)} ${out.c.cyan(app.id)}`);
        out.line(
          app.default === true
            ? "/functions/* serves this app (the server's default app)"
            : `/functions/* serves another app (the server's default): call this one at /api/apps/${app.id}/functions/<name>, with X-App-Id: ${app.id}, or start the server with --default-app ${app.id}`,
        );
        out.line(out.c.dim(`Link a project to it with: fnbase link ${app.id}`));
        return 0;
      }),
    );
}
