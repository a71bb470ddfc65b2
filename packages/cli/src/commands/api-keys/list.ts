import { API_KEYS_PATH, type ApiKeyInfo } from "@fnbase/shared";
import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";

/** `fnbase api-keys list`: every key by its prefix (the keys themselves are never shown). */
export function register(parent: Command): void {
  withJson(parent.command("list"))
    .description("List workspace API keys by prefix, revoked ones included")
    .action(
      run(async ({ out, api }) => {
        const { api_keys: keys } = await (await api()).request<{ api_keys: ApiKeyInfo[] }>(
          API_KEYS_PATH,
          { feature: "API keys" },
        );
        out.result({ api_keys: keys });
        if (keys.length === 0) out.line("No API keys: create one with `fnbase api-keys create`");
        for (const k of keys) {
          const state = k.revoked_date
            ? out.c.red(`revoked ${k.revoked_date}`)
            : out.c.dim(`last used ${k.last_used_date ?? "never"}`);
          out.line(`${k.id}  ${`${k.prefix}…`.padEnd(14)} ${k.name}  ${state}`);
        }
        return 0;
      }),
    );
}
