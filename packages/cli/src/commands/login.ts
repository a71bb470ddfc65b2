import { isCancel, password, text } from "@clack/prompts";
import { FnbaseError } from "@fnbase/shared";
import type { Command } from "commander";
import { ApiClient } from "../core/client.js";
import { run, withJson } from "../core/command.js";
import { maskKey, normalizeServer, writeStored } from "../core/credentials.js";

interface Options {
  server?: string;
  key?: string;
}

/** `fnbase login --server URL --key KEY`: checks and stores credentials. */
export function register(parent: Command): void {
  withJson(parent.command("login"))
    .description(
      "Store the server URL and API key (checked first) in <config dir>/credentials.json, mode 0600; the config dir is FNBASE_CONFIG_DIR, else $XDG_CONFIG_HOME/fnbase, else ~/.config/fnbase (FNBASE_SERVER and FNBASE_API_KEY override the file)",
    )
    .option("--server <url>", "the server URL, e.g. http://127.0.0.1:4400")
    .option("--key <key>", "an admin or workspace API key")
    .action(
      run<Options>(async ({ out, opts }) => {
        let server = opts.server;
        let key = opts.key;
        if ((server === undefined || key === undefined) && !out.interactive) {
          throw new FnbaseError("USAGE", "Missing --server or --key", {
            hint: "Run `fnbase login --server URL --key KEY`",
          });
        }
        if (server === undefined) {
          const v = await text({ message: "Server URL", placeholder: "http://127.0.0.1:4400" });
          if (isCancel(v)) return 1;
          server = v;
        }
        if (key === undefined) {
          const v = await password({ message: "API key" });
          if (isCancel(v)) return 1;
          key = v;
        }
        const creds = { server: normalizeServer(server), key };
        const client = new ApiClient({ ...creds, serverSource: "--server", keySource: "--key" });
        await client.request("/api/apps");
        const file = await writeStored(creds);
        out.result({ server: creds.server, key: maskKey(key), file });
        out.line(`Logged in to ${out.c.cyan(creds.server)} with ${maskKey(key)}`);
        out.line(out.c.dim(`Saved to ${file}`));
        return 0;
      }),
    );
}
