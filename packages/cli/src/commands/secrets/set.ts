import { readFile } from "node:fs/promises";
import { parseDotenv } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import type { Command } from "commander";
import { appPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { parseAssignments } from "../../lib/env-file.js";

/** `fnbase secrets set K=V ... | --env-file PATH`. */
export function register(parent: Command): void {
  withApp(parent.command("set"))
    .argument("[pairs...]", "NAME=value pairs")
    .option("--env-file <path>", "read NAME=value lines from a .env file")
    .description("Set secrets (functions read them with Deno.env.get)")
    .action(
      run<{ appId?: string; envFile?: string }, [string[]]>(async ({ out, opts, api }, pairs) => {
        const values = parseAssignments(pairs);
        if (opts.envFile !== undefined) {
          const text = await readFile(opts.envFile, "utf8").catch(() => {
            throw new FnbaseError("USAGE", `Cannot read --env-file: ${opts.envFile}`);
          });
          const env = parseDotenv(text);
          const [first] = env.problems;
          if (first) {
            throw new FnbaseError(
              "USAGE",
              `Cannot read ${opts.envFile}:${first.line}: ${first.message}`,
              {
                hint: "Each line is NAME=value, optionally quoted; # starts a comment",
              },
            );
          }
          Object.assign(values, env.values);
        }
        const names = Object.keys(values);
        if (names.length === 0) {
          throw new FnbaseError("USAGE", "No secrets given", {
            hint: "Pass NAME=value pairs or --env-file .env",
          });
        }
        const appId = await resolveAppId(opts.appId);
        await (await api()).request(`${appPath(appId)}/secrets`, {
          method: "POST",
          body: values,
          feature: "Secrets",
        });
        out.result({ app_id: appId, set: names });
        out.line(`Set ${names.length} secret(s): ${names.join(", ")}`);
        return 0;
      }),
    );
}
