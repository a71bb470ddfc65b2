import type { Command } from "commander";
import { appPath, resolveAppId } from "../core/app.js";
import { run, withApp } from "../core/command.js";
import { intOption } from "../core/numbers.js";
import { levelled } from "../core/output.js";
import { followLogs, type LogLine, type LogsOptions, queryLogs } from "../lib/logs.js";
import type { RemoteFunction } from "../lib/remote.js";

/** `fnbase logs`: function output, queried or followed. */
export function register(parent: Command): void {
  withApp(parent.command("logs"))
    .description("Show function logs")
    .option("--function <names>", "only these functions, comma-separated (default: all)")
    .option("--since <time>", "from this time: ISO date or a duration such as 1h, 30m")
    .option("--until <time>", "up to this time: ISO date or a duration")
    .option("--level <level>", "only this level: info, warning, error, debug")
    .option("-n, --limit <n>", "at most this many lines per function", intOption("--limit"))
    .option("--order <order>", "asc or desc", "desc")
    .option("-f, --follow", "keep streaming new lines")
    .action(
      run<LogsOptions & { appId?: string; function?: string }>(async ({ out, opts, api }) => {
        const appId = await resolveAppId(opts.appId);
        const client = await api();
        let names =
          opts.function
            ?.split(",")
            .map((s) => s.trim())
            .filter(Boolean) ?? [];
        const print = (l: LogLine) =>
          out.line(
            `${out.c.dim(l.time)} ${out.c.magenta(`[${l.function}]`)} ${levelled(out.c, l.level, l.message)}`,
          );
        if (opts.follow) {
          // With --json, one JSON document per line as lines arrive (NDJSON).
          await followLogs(client, appId, names, (l) =>
            out.json ? out.write(`${JSON.stringify(l)}\n`) : print(l),
          );
          return 0;
        }
        if (names.length === 0) {
          const { functions } = await client.request<{ functions: RemoteFunction[] }>(
            `${appPath(appId)}/backend-functions`,
          );
          names = functions.map((f) => f.name);
        }
        const lines = await queryLogs(client, appId, names, opts);
        out.result({ app_id: appId, logs: lines });
        for (const l of lines) print(l);
        return 0;
      }),
    );
}
