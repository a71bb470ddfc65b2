import type { Command } from "commander";
import { resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { EXIT } from "../../core/exit-codes.js";
import { automationsPath, findAutomation, type RemoteRun } from "../../lib/automations.js";
import { runLine } from "./runs.js";

/** How often a waiting `run` asks for its run, in ms. */
const POLL_MS = 250;

/**
 * `fnbase automations run <automation>`: runs it now and waits for its first attempt; exits 1
 * unless it succeeded (a failure worth retrying is tried again later, on the server).
 */
export function register(parent: Command): void {
  withApp(parent.command("run"))
    .argument("<automation>", "the automation's id, name or <function>:<name>")
    .option("--no-wait", "queue the run and return at once")
    .option("--timeout <seconds>", "stop waiting after this long", "600")
    .description("Run an automation now (with its function_args), even if it is disabled")
    .action(
      run<{ appId?: string; wait: boolean; timeout: string }, [string]>(
        async ({ out, opts, api }, ref) => {
          const appId = await resolveAppId(opts.appId);
          const client = await api();
          const a = await findAutomation(client, appId, ref);
          let r = await client.request<RemoteRun>(`${automationsPath(appId)}/${a.id}/run`, {
            method: "POST",
            feature: "Automations",
          });
          const deadline = Date.now() + Number(opts.timeout) * 1000;
          // Until its first attempt ends (a failure to be retried later is queued again).
          const pending = (x: RemoteRun) =>
            x.status === "running" || (x.status === "queued" && x.attempts === 0);
          while (opts.wait && pending(r)) {
            if (Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, POLL_MS));
            r = await client.request<RemoteRun>(`${automationsPath(appId)}/runs/${r.id}`);
          }
          out.result({ app_id: appId, run: r });
          out.line(runLine(r, out.c));
          if (r.status === "queued" && r.attempts > 0) {
            out.note(`It will be tried again at ${r.next_attempt_at}`);
          }
          return r.status === "succeeded" || (!opts.wait && r.status === "queued")
            ? EXIT.OK
            : EXIT.FAILURE;
        },
      ),
    );
}
