import { API_KEYS_PATH, type CreatedApiKey } from "@fnbase/shared";
import type { Command } from "commander";
import { run, withJson } from "../../core/command.js";

/**
 * `fnbase api-keys create [name]`: prints the new key once on stdout (messages go to stderr,
 * so `KEY=$(fnbase api-keys create ci)` works); `--json` answers the whole record with `key`.
 */
export function register(parent: Command): void {
  withJson(parent.command("create"))
    .argument("[name]", "a label to recognise the key by (default: api key)")
    .description("Create a workspace API key and print it once")
    .action(
      run<object, [string | undefined]>(async ({ out, api }, name) => {
        const created = await (await api()).request<CreatedApiKey>(API_KEYS_PATH, {
          method: "POST",
          body: name === undefined ? {} : { name },
          feature: "API keys",
        });
        out.result(created);
        out.note(`Created API key ${out.c.bold(created.name)} ${out.c.cyan(created.id)}`);
        out.line(created.key);
        out.note(
          out.c.yellow(
            "Copy it now: the server keeps only a hash and will not show it again. Use it as " +
              "FNBASE_API_KEY (or BASE44_API_KEY), or with `fnbase login --key`.",
          ),
        );
        return 0;
      }),
    );
}
