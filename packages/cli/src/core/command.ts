import type { Command } from "commander";
import { ApiClient } from "./client.js";
import { resolveCredentials } from "./credentials.js";
import { createOutput, type Output } from "./output.js";

/** What every command handler receives. */
export interface CommandContext<O> {
  out: Output;
  /** The command's options, merged with the program's. */
  opts: O & { json?: boolean };
  /** A management client from the resolved credentials (throws `NOT_LOGGED_IN` without). */
  api(): Promise<ApiClient>;
}

/**
 * Wraps a handler as a commander action: builds the output, runs it, turns any error into a
 * message (or `{error, code, hints}` in `--json` mode) and an exit code. The handler returns
 * its exit code (default 0).
 *
 * @example
 * cmd.action(run<{ appId?: string }, [string]>(async (ctx, name) => { ... }));
 */
export function run<O, A extends unknown[] = []>(
  handler: (ctx: CommandContext<O>, ...args: A) => Promise<number | undefined>,
): (...raw: unknown[]) => Promise<void> {
  return async (...raw) => {
    const command = raw[raw.length - 1] as Command;
    const args = raw.slice(0, -2) as A;
    const opts = command.optsWithGlobals() as O & { json?: boolean };
    const out = createOutput({ json: Boolean(opts.json) });
    try {
      const code = await handler(
        { out, opts, api: async () => new ApiClient(await resolveCredentials()) },
        ...args,
      );
      process.exitCode = code ?? 0;
    } catch (err) {
      process.exitCode = out.fail(err);
    }
  };
}

/** Adds `--json` to a command. */
export function withJson(cmd: Command): Command {
  return cmd.option("--json", "print exactly one JSON document on stdout (no colour, no prompts)");
}

/** Adds `--json` and `--app-id` to a command that works on one app. */
export function withApp(cmd: Command): Command {
  return withJson(cmd).option(
    "--app-id <id>",
    "the app to work on (default: the id in base44/.app.jsonc)",
  );
}
