/**
 * `fnbase`: the command-line interface. `main` runs it with the given argv and resolves with
 * the exit code; every command lives in `commands/<noun>/<verb>.ts`.
 *
 * @module
 */
import { CommanderError } from "commander";
import { EXIT } from "./core/exit-codes.js";
import { createProgram } from "./program.js";

export { EXIT, exitCodeFor } from "./core/exit-codes.js";

/**
 * Runs the CLI and resolves with its exit code.
 *
 * @example
 * process.exitCode = await main(process.argv);
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    await createProgram(json).parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.exitCode === 0
      ) {
        return EXIT.OK;
      }
      if (err.code === "commander.help") return EXIT.OK;
      if (json) {
        const error = err.message.replace(/^error: /, "");
        process.stdout.write(
          `${JSON.stringify({ error, code: "USAGE", hints: ["Run with --help to see the usage"] }, null, 2)}\n`,
        );
      }
      return EXIT.USAGE;
    }
    throw err;
  }
}
