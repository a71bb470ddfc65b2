import { Command } from "commander";
import { registerAll } from "./commands/index.js";

/** The version printed by `fnbase --version`. */
export const VERSION = "0.1.0";

/**
 * Builds the `fnbase` command tree. Usage errors throw a `CommanderError` (see `main`).
 *
 * @example
 * await createProgram().parseAsync(["node", "fnbase", "apps", "list", "--json"]);
 */
export function createProgram(json: boolean): Command {
  const program = new Command("fnbase")
    .description("Self-hostable backend functions on Deno, wire-compatible with Base44 Functions")
    .version(VERSION)
    .showHelpAfterError(!json)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => {
        if (!json) process.stderr.write(s);
      },
    });
  registerAll(program);
  return program;
}
