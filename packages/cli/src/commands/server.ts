import type { Command } from "commander";
import { run, withJson } from "../core/command.js";
import { portOptionAs, startedByNpx, untilStopped } from "../core/lifetime.js";
import { intOption, portOption } from "../core/numbers.js";

interface Options {
  port: number;
  host: string;
  data: string;
  store?: string;
  nodeId?: string;
  drainDelay?: number;
  defaultApp?: string;
  idleTimeout?: number;
  requestTimeout?: number;
  maxBodySize?: number;
  spares?: number;
  runtime?: string;
  publicUrl?: string;
  fileStorage?: string;
  maxFileSize?: number;
  smtpUrl?: string;
  mailFrom?: string;
  llmUrl?: string;
  llmModel?: string;
  imageModel?: string;
}

/** `fnbase server`: runs the fnbase server in the foreground until Ctrl-C. */
export function register(parent: Command): void {
  withJson(parent.command("server"))
    .description("Run the fnbase server (management API, gateway and runtime on one port)")
    .option("-p, --port <port>", "port to listen on; 0 picks a free one", portOption, 4400)
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--data <dir>", "data directory (store, deployments, keys)", "./.fnbase")
    .option(
      "--store <store>",
      "sqlite (default) or postgres://user:pass@host:5432/db, shared by several nodes (FNBASE_STORE)",
    )
    .option("--node-id <name>", "this node's name among several (FNBASE_NODE_ID)")
    .option(
      "--drain-delay <seconds>",
      "on SIGTERM, how long /readyz answers 503 before the port closes (default: 0)",
      intOption("--drain-delay"),
    )
    .option("--default-app <id>", "app served by /functions/* when no app id or domain picks one")
    .option(
      "--idle-timeout <seconds>",
      "stop an instance after this long idle (default: 300)",
      intOption("--idle-timeout"),
    )
    .option(
      "--request-timeout <seconds>",
      "time limit per request (default: 300)",
      intOption("--request-timeout"),
    )
    .option(
      "--max-body-size <bytes>",
      "largest request body passed to a function (default: 2 GiB)",
      intOption("--max-body-size"),
    )
    .option(
      "--spares <count>",
      "spares booted ahead of need, for fast cold starts: a host with 8 isolates waiting, about 140 MB (--runtime process: a Deno process, about 40 MB) (default: 1)",
      intOption("--spares"),
    )
    .option(
      "--runtime <kind>",
      "what a function instance is: host (default; an isolate in one Deno process per app) or process (a Deno process each) (FNBASE_RUNTIME)",
    )
    .option(
      "--public-url <url>",
      "URL callers reach the server at, for emailed links and file URLs",
    )
    .option(
      "--file-storage <kind>",
      "where uploaded files are kept: disk (default) or s3 (FNBASE_S3_*)",
    )
    .option(
      "--max-file-size <bytes>",
      "largest uploaded file (default: 50 MiB)",
      intOption("--max-file-size"),
    )
    .option(
      "--smtp-url <url>",
      "SMTP relay for emails, smtp://host:587 (put credentials in FNBASE_SMTP_URL instead)",
    )
    .option("--mail-from <address>", "sender address of emails")
    .option(
      "--llm-url <url>",
      "OpenAI-compatible API for InvokeLLM, e.g. http://localhost:11434/v1 (key: FNBASE_LLM_API_KEY)",
    )
    .option("--llm-model <name>", "default model for InvokeLLM")
    .option("--image-model <name>", "image model for GenerateImage")
    .action(
      run<Options>(async ({ out, opts }) => {
        // Read first: the parent may go while the server starts.
        const parentPid = startedByNpx() ? process.ppid : undefined;
        // Loaded on demand: the server (SQLite, runtime) is heavy for every other command.
        const { startServer } = await import("@fnbase/server");
        const server = await startServer({
          port: opts.port,
          portOption: portOptionAs(),
          // The server's own log stays JSON lines under --json.
          ...(opts.json ? { logFormat: "json" as const } : {}),
          host: opts.host,
          dataDir: opts.data,
          ...(opts.store ? { store: opts.store } : {}),
          ...(opts.nodeId ? { nodeId: opts.nodeId } : {}),
          ...(opts.drainDelay !== undefined ? { drainDelayMs: opts.drainDelay * 1000 } : {}),
          ...(opts.defaultApp ? { defaultApp: opts.defaultApp } : {}),
          ...(opts.idleTimeout !== undefined ? { idleTimeoutMs: opts.idleTimeout * 1000 } : {}),
          ...(opts.requestTimeout !== undefined
            ? { requestTimeoutMs: opts.requestTimeout * 1000 }
            : {}),
          ...(opts.maxBodySize !== undefined ? { maxBodyBytes: opts.maxBodySize } : {}),
          ...(opts.spares !== undefined ? { spareInstances: opts.spares } : {}),
          ...(opts.runtime ? { runtime: opts.runtime as "host" | "process" } : {}),
          ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
          ...(opts.fileStorage ? { fileStorage: opts.fileStorage as "disk" | "s3" } : {}),
          ...(opts.maxFileSize !== undefined ? { maxFileBytes: opts.maxFileSize } : {}),
          ...(opts.smtpUrl ? { smtpUrl: opts.smtpUrl } : {}),
          ...(opts.mailFrom ? { mailFrom: opts.mailFrom } : {}),
          ...(opts.llmUrl ? { llmUrl: opts.llmUrl } : {}),
          ...(opts.llmModel ? { llmModel: opts.llmModel } : {}),
          ...(opts.imageModel ? { imageModel: opts.imageModel } : {}),
        });
        const o = server.options;
        const { c } = out;
        out.result({
          url: server.url,
          data_dir: server.options.dataDir,
          runtime: o.runtime,
          default_app: server.defaultAppNotice(),
          ...(server.adminKeyGenerated ? { admin_key: server.adminKey } : {}),
        });
        out.line(`${c.bold("fnbase server")} listening on ${c.cyan(server.url)}`);
        out.line(`Data: ${server.options.dataDir} · Runtime: ${o.runtime}`);
        if (o.store !== "sqlite") {
          out.line(
            `Store: PostgreSQL ${o.store.replace(/:[^:@/]*@/, ":***@")} · node ${server.nodeId}`,
          );
        }
        out.line(
          `Files: ${o.fileStorage === "s3" ? `s3://${o.s3?.bucket}` : "disk"} · Email: ${
            o.smtpUrl ? new URL(o.smtpUrl).host : c.dim("not configured")
          } · LLM: ${o.llmUrl ?? c.dim("not configured")}`,
        );
        out.line(server.defaultAppNotice());
        out.line(`Dashboard: ${c.cyan(`${server.url}/_/`)} ${c.dim("(sign in with an API key)")}`);
        if (server.adminKeyGenerated) {
          out.line();
          out.line(`Admin API key: ${c.yellow(server.adminKey ?? "")}`);
          out.line(c.dim("It is shown only this once: store it now (only its hash is kept)."));
          out.line(c.dim(`Log in with: fnbase login --server ${server.url} --key <key>`));
        }
        out.line(c.dim("Press Ctrl-C to stop."));
        // SIGTERM and Ctrl-C drain: in-flight requests finish, no new ones are taken. The parent
        // is watched only under npx: a daemonizer reparents a server on purpose (StopOptions).
        await untilStopped(() => server.drain(), { parent: parentPid });
        return 0;
      }),
    );
}
