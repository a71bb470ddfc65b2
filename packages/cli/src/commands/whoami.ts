import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { maskKey } from "../core/credentials.js";
import type { RemoteApp } from "../lib/apps.js";

/** `fnbase whoami`: where the CLI points and whether the key works. */
export function register(parent: Command): void {
  withJson(parent.command("whoami"))
    .description("Show the server and key in use, and check the key")
    .action(
      run(async ({ out, api }) => {
        const client = await api();
        const apps = await client.request<RemoteApp[]>("/api/apps");
        const { creds } = client;
        out.result({
          server: creds.server,
          server_source: creds.serverSource,
          key: maskKey(creds.key),
          key_source: creds.keySource,
          apps: apps.length,
        });
        out.line(
          `Server: ${out.c.cyan(creds.server)} ${out.c.dim(`(from ${creds.serverSource})`)}`,
        );
        out.line(`Key:    ${maskKey(creds.key)} ${out.c.dim(`(from ${creds.keySource})`)}`);
        out.line(`The key works: ${apps.length} app(s) visible`);
        return 0;
      }),
    );
}
