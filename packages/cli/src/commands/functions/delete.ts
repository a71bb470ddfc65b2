import { isFnbaseError } from "@fnbase/shared";
import type { Command } from "commander";
import { functionPath, resolveAppId } from "../../core/app.js";
import { run, withApp } from "../../core/command.js";
import { exitCodeFor } from "../../core/exit-codes.js";

/** `fnbase functions delete <names...>`: removes deployed functions. */
export function register(parent: Command): void {
  withApp(parent.command("delete"))
    .argument("<names...>", "the functions to delete")
    .description("Delete deployed functions (their history goes with them)")
    .action(
      run<{ appId?: string }, [string[]]>(async ({ out, opts, api }, names) => {
        const appId = await resolveAppId(opts.appId);
        const client = await api();
        const results: {
          name: string;
          status: "deleted" | "error";
          error?: string;
          code?: string;
        }[] = [];
        for (const name of names) {
          try {
            await client.request(functionPath(appId, name), { method: "DELETE" });
            results.push({ name, status: "deleted" });
            out.line(`${name} ${out.c.green("deleted")}`);
          } catch (err) {
            if (!isFnbaseError(err) || err.code === "APP_NOT_FOUND" || err.code === "UNAUTHORIZED")
              throw err;
            results.push({ name, status: "error", error: err.message, code: err.code });
            out.line(`${name} ${out.c.red(`error: ${err.message}`)}`);
          }
        }
        const failed = results.filter((r) => r.status === "error");
        out.result({
          ...(failed.length > 0
            ? {
                error: `${failed.length} of ${names.length} functions could not be deleted`,
                code: failed[0]?.code,
                hints: [],
              }
            : {}),
          app_id: appId,
          functions: results,
        });
        return failed.length > 0 ? exitCodeFor(failed[0]?.code as never) : 0;
      }),
    );
}
