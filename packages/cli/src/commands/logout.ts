import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { credentialsPath, removeStored } from "../core/credentials.js";

/** `fnbase logout`: deletes the stored credentials. */
export function register(parent: Command): void {
  withJson(parent.command("logout"))
    .description("Delete the stored credentials")
    .action(
      run(async ({ out }) => {
        const had = await removeStored();
        out.result({ logged_out: had, file: credentialsPath() });
        out.line(had ? "Logged out" : "Not logged in: nothing to do");
        return 0;
      }),
    );
}
