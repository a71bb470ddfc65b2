import { API_KEYS_PATH } from "@fnbase/shared";
import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";

/** `fnbase api-keys revoke <id>`: the key stops working at once. */
export function register(parent: Command): void {
  withJson(parent.command("revoke"))
    .argument("<id>", "the key's id (from `fnbase api-keys list`)")
    .description("Revoke a workspace API key")
    .action(
      run<object, [string]>(async ({ out, api }, id) => {
        // No `feature` here: the server answers NOT_FOUND for an unknown id, which must stay
        // "not found" (exit 4) rather than "not available".
        await (await api()).request(`${API_KEYS_PATH}/${encodeURIComponent(id)}`, {
          method: "DELETE",
        });
        out.result({ revoked: id });
        out.line(`Revoked API key ${id}: it no longer works`);
        return 0;
      }),
    );
}
