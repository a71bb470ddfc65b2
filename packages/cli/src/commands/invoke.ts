import type { Command } from "commander";
import { resolveAppId } from "../core/app.js";
import { run, withApp } from "../core/command.js";
import { EXIT } from "../core/exit-codes.js";
import { chunks } from "../core/stream.js";
import { buildInvocation, type InvokeOptions } from "../lib/invoke.js";

/** True for a content type whose body is text (JSON, NDJSON, SSE, XML, JavaScript, text/*). */
function isText(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    type.startsWith("text/") ||
    /^application\/([\w.-]+\+)?(json|x-ndjson|ndjson|xml|javascript)$/.test(type)
  );
}

/** `fnbase invoke <name>`: calls a function and streams its answer. */
export function register(parent: Command): void {
  withApp(parent.command("invoke"))
    .argument("<name>", "the function to call")
    .description(
      "Call a deployed function; prints the status (stderr) and streams the body (stdout)",
    )
    .option("-d, --data <json>", "JSON body to send")
    .option("--data-file <file>", "send this file as the body (JSON when it parses as JSON)")
    .option("-X, --method <method>", "HTTP method", "POST")
    .option("--path <sub>", "subpath after the function name, e.g. /items/42")
    .option("--token <token>", "send this user token as Authorization: Bearer")
    .option("--as-service", "call as the app's service role (sends the API key)")
    .action(
      run<InvokeOptions & { appId?: string }, [string]>(async ({ out, opts, api }, name) => {
        const appId = await resolveAppId(opts.appId);
        const client = await api();
        const { path, init } = await buildInvocation(appId, name, opts, client.creds.key);
        const res = await client.raw(path, init);
        const ok = res.ok;
        if (out.json) {
          const text = await res.text();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {}
          out.result({ status: res.status, headers: Object.fromEntries(res.headers), body });
          return ok ? EXIT.OK : EXIT.FAILURE;
        }
        const colour = ok ? out.c.green : out.c.red;
        out.note(colour(`HTTP ${res.status} ${res.statusText}`));
        let last: number | undefined;
        if (res.body) {
          for await (const chunk of chunks(res.body)) {
            if (chunk.length > 0) last = chunk[chunk.length - 1];
            out.write(chunk);
          }
        }
        // Text ends on a line of its own, so the shell prompt does not follow the body on its
        // line; binary bodies are written exactly as they came.
        if (last !== undefined && last !== 0x0a && isText(res.headers.get("content-type"))) {
          out.write("\n");
        }
        return ok ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
