import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import {
  automationsPath,
  describeRun,
  findAutomation,
  type RemoteRun,
} from "../../lib/automations.js";

/** One run as a line. */
export function runLine(
  r: RemoteRun,
  c: { red(s: string): string; dim(s: string): string },
): string {
  const status = r.status === "failed" ? c.red(r.status.toUpperCase()) : r.status.toUpperCase();
  const took = r.duration_ms === null ? "" : `${r.duration_ms} ms`;
  const tries = r.attempts > 1 ? `${r.attempts} attempts` : "";
  const head = `${r.created_date}  ${status.padEnd(9)} ${r.automation_name ?? r.automation_id}  ${describeRun(r)}`;
  const tail = [took, tries, r.request_id ? `request ${r.request_id}` : ""].filter(Boolean);
  return `${head}  ${c.dim(tail.join("  "))}${r.error ? `\n    ${c.red(r.error)}` : ""}`;
}

/** `fnbase automations runs [automation]`: the run history, newest first. */
export function register(parent: Command): void {
  withApp(parent.command("runs"))
    .argument("[automation]", "an automation's id, name or <function>:<name> (default: all)")
    .option(
      "--status <status>",
      "only runs in this state: queued, running, succeeded, failed, skipped",
    )
    .option("-n, --limit <n>", "at most this many runs (1-500)", "50")
    .description("Show automation runs, newest first: status, duration, request id, error")
    .action(
      run<{ appId?: string; status?: string; limit: string }, [string | undefined]>(
        async ({ out, opts, api }, ref) => {
          const appId = await resolveAppId(opts.appId);
          const client = await api();
          const query = new URLSearchParams({ limit: opts.limit });
          if (opts.status) query.set("status", opts.status);
          if (ref !== undefined)
            query.set("automation", (await findAutomation(client, appId, ref)).id);
          const { runs } = await client.request<{ runs: RemoteRun[] }>(
            `${automationsPath(appId)}/runs?${query}`,
            { feature: "Automations" },
          );
          out.result({ app_id: appId, runs });
          if (runs.length === 0) out.line("No runs yet");
          for (const r of runs) out.line(runLine(r, out.c));
          return 0;
        },
      ),
    );
}
