import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";
import type { RemoteApp } from "../../lib/apps.js";

/** `fnbase apps list`: every app the key can see. */
export function register(parent: Command): void {
  withJson(parent.command("list"))
    .description("List apps")
    .action(
      run(async ({ out, api }) => {
        const apps = await (await api()).request<RemoteApp[]>("/api/apps");
        out.result(apps);
        if (apps.length === 0) out.line("No apps yet: run `fnbase apps create <name>`");
        for (const a of apps) {
          out.line(
            `${a.id.padEnd(28)} ${a.name}${a.default === true ? out.c.dim("  (default: serves /functions/*)") : ""}`,
          );
        }
        return 0;
      }),
    );
}
