import { join, relative } from "node:path";
import { deployBody, loadProject, localMessage, type Project } from "@fnbase/project";
import { isFnbaseError, type LogFormat, readEnv } from "@fnbase/shared";
import type { FunctionOutputLine } from "../config.js";
import { deploymentDir } from "../deploy/materialize.js";
import { resolveDenoPath } from "../runtime/deno-binary.js";
import type { SandboxSetting } from "../runtime/sandbox.js";
import { startServer } from "../server.js";
import type { FnbaseServer } from "../server-types.js";
import { DEV_ENV_FILES, syncDevSecrets } from "./dev-env.js";
import { DevTypeChecker, type TypeCheckTarget } from "./type-check.js";

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** The project folder (or any folder inside it). */
  dir: string;
  port?: number;
  host?: string;
  /** How a busy port's hint names the port option (see `ServerOptions.portOption`). */
  portOption?: string;
  /** Format of the server's own log (see `ServerOptions.logFormat`). */
  logFormat?: LogFormat;
  /** Data dir; default `<project>/.fnbase`. */
  dataDir?: string;
  /** Debounce for file changes, in ms. Default 100. */
  debounceMs?: number;
  /** Give functions every permission. Default false. */
  allowAll?: boolean;
  /**
   * The instance sandbox (see `ServerOptions.sandbox`). Default `FNBASE_SANDBOX`, else `"off"`:
   * on a developer's machine functions run the developer's own code and often call services on
   * localhost, which the sandbox refuses.
   */
  sandbox?: SandboxSetting;
  idleTimeoutMs?: number;
  /**
   * Check the functions' types with `deno check` after each reload, in the background, and
   * print type errors as warnings (see `DevTypeChecker`). Default false; `fnbase dev` turns it
   * on.
   */
  checkTypes?: boolean;
  /**
   * Receives the dev server's own messages: reloads, problems, notes (code that is not part of
   * any function, so never served), warnings (type errors) and `checked` (the first type check
   * found no error).
   */
  print?: (
    kind: "info" | "problem" | "reload" | "note" | "warning" | "checked",
    message: string,
  ) => void;
  /** Receives every line functions write. */
  onFunctionOutput?: (line: FunctionOutputLine) => void;
}

/** A running `fnbase dev`. */
export interface DevServer extends AsyncDisposable {
  server: FnbaseServer;
  appId: string;
  project: Project;
  /** Resolves after the next reload has finished (for tests). */
  reloaded(): Promise<void>;
  close(): Promise<void>;
}

const LOCAL_APP_ID = "local";

/**
 * `fnbase dev`: the same server as `fnbase server`, for one local project. Deploys every
 * function at start, then redeploys what changed on each (debounced) file change; discovery
 * problems are reported and never stop the server. The project's `.env` and `.env.local` are
 * the app's secrets, reloaded when either changes.
 *
 * @example
 * await using dev = await startDevServer({ dir: "examples/quickstart", port: 0 });
 */
export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const print = o.print ?? (() => {});
  let project = await loadProject(o.dir);
  const appId = project.appId ?? LOCAL_APP_ID;
  // Why each function of the project that has no deployment did not deploy (the 404's hint).
  const failed = new Map<string, string>();
  const server = await startServer({
    port: o.port ?? 4400,
    host: o.host ?? "127.0.0.1",
    ...(o.portOption !== undefined ? { portOption: o.portOption } : {}),
    ...(o.logFormat !== undefined ? { logFormat: o.logFormat } : {}),
    dataDir: o.dataDir ?? join(project.root, ".fnbase"),
    defaultApp: appId,
    corsAnyOrigin: true,
    exposeErrors: true,
    allowAll: o.allowAll ?? false,
    ...(o.sandbox !== undefined || readEnv("FNBASE_SANDBOX") === undefined
      ? { sandbox: o.sandbox ?? "off" }
      : {}),
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
    ...(o.onFunctionOutput ? { onFunctionOutput: o.onFunctionOutput } : {}),
    functionNotFoundHint: (app, name) => {
      if (app !== appId) return undefined;
      const why = [...failed].find(([f]) => name === f || name.startsWith(`${f}/`))?.[1];
      return why
        ? `fnbase dev could not deploy it: ${why}. Fix the file and save: it reloads`
        : `fnbase dev serves base44/functions/<name>/entry.ts of ${project.root}; no function there is named so`;
    },
  });
  if (!server.hasApp(appId)) {
    await server.createApp(project.root.split(/[\\/]/).pop() ?? "local", appId);
  }
  const dataDir = server.options.dataDir;
  const types = o.checkTypes
    ? new DevTypeChecker({
        denoPath: resolveDenoPath(server.options.denoPath),
        denoDir: join(dataDir, "deno-cache"),
        importMapPath: join(dataDir, "runtime", "import_map.json"),
        projectRoot: project.root,
        print,
      })
    : undefined;

  const sync = async (initial: boolean): Promise<void> => {
    try {
      project = await loadProject(project.root);
    } catch (err) {
      print("problem", isFnbaseError(err) ? err.message : String(err));
      return;
    }
    for (const p of project.problems) print("problem", p.message);
    for (const n of project.notes) print("note", n.message);
    await syncEntities(initial);
    const present = new Set<string>();
    const changed: TypeCheckTarget[] = [];
    for (const f of project.functions) {
      present.add(f.name);
      try {
        const r = await server.deploy(appId, f.name, deployBody(f));
        failed.delete(f.name);
        if (initial || r.status === "deployed") {
          const root = deploymentDir(dataDir, { app_id: appId, id: r.deployment_id });
          changed.push({ fn: f, root, entry: join(root, "functions", f.name, f.entry) });
        }
        if (r.status === "deployed")
          print(
            initial ? "info" : "reload",
            initial
              ? `Deployed ${f.name}`
              : `Reloaded ${f.name}: the next request runs the new code`,
          );
      } catch (err) {
        const why = isFnbaseError(err)
          ? localMessage(project.root, f, err)
          : `Cannot deploy "${f.name}": ${String(err)}`;
        if (!server.functionNames(appId).includes(f.name)) {
          failed.set(f.name, why.replace(`Cannot deploy "${f.name}": `, ""));
        }
        // After a change, the last good version keeps serving: say so.
        print(
          "problem",
          initial
            ? why
            : `Reload failed for ${f.name}: ${why.replace(`Cannot deploy "${f.name}": `, "")}; the last version that deployed keeps serving`,
        );
      }
    }
    for (const name of failed.keys()) if (!present.has(name)) failed.delete(name);
    types?.check(changed);
    // A function whose folder has a problem keeps its last good deployment; one whose folder is
    // gone is removed.
    const troubled = project.problems.some((p) => p.resource === "function");
    for (const name of server.functionNames(appId)) {
      if (!present.has(name) && !troubled) {
        await server.removeFunction(appId, name);
        print("reload", `Removed ${name}`);
      }
    }
  };
  // The project's entity files are the local app's schema. Unlike the Base44 dev server, a
  // change keeps the records: a schema push never drops data, and an entity whose file is gone
  // keeps its records until the file comes back.
  const syncEntities = async (initial: boolean): Promise<void> => {
    if (project.problems.some((p) => p.resource === "entity")) {
      print(
        "problem",
        "Entities not pushed: fix the entity problems above (the app keeps its last schemas)",
      );
      return;
    }
    let r: { created: string[]; updated: string[]; deleted: string[] };
    try {
      r = await server.syncEntities(
        appId,
        Object.fromEntries(project.entities.map((e) => [e.name, e.schema])),
      );
    } catch (err) {
      print("problem", isFnbaseError(err) ? err.message : `Cannot push entities: ${String(err)}`);
      return;
    }
    const parts = [
      r.created.length > 0 ? `created ${r.created.join(", ")}` : "",
      r.updated.length > 0 ? `updated ${r.updated.join(", ")}` : "",
      r.deleted.length > 0 ? `removed ${r.deleted.join(", ")} (records kept)` : "",
    ].filter(Boolean);
    if (parts.length > 0) print(initial ? "info" : "reload", `Entities: ${parts.join("; ")}`);
  };
  // The project's .env and .env.local are the local app's secrets.
  const syncEnv = (initial: boolean) => syncDevSecrets(server, appId, project.root, print, initial);
  await syncEnv(true);
  await sync(true);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let waiters: (() => void)[] = [];
  let codeChanged = false;
  let envChanged = false;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running
        .then(async () => {
          const [code, env] = [codeChanged, envChanged];
          codeChanged = envChanged = false;
          if (env) await syncEnv(false);
          if (code) await sync(false);
        })
        .finally(() => {
          const w = waiters;
          waiters = [];
          for (const r of w) r();
        });
    }, o.debounceMs ?? 100);
  };
  // base44/ holds functions, shared code and (by default) entities; an entitiesDir outside it
  // is watched too.
  const watched = [project.base44Dir];
  if (relative(project.base44Dir, project.entitiesDir).startsWith("..")) {
    watched.push(project.entitiesDir);
  }
  // chokidar loads here, so that a server that never watches a project does not hold it.
  const { watch } = await import("chokidar");
  const watcher = watch(watched, {
    ignoreInitial: true,
    ignored: (path) => /(^|[\\/])(node_modules|\.fnbase|\.types|\.git)([\\/]|$)/.test(path),
  });
  watcher.on("all", () => {
    codeChanged = true;
    schedule();
  });
  // The root itself, to see the env files appear, change and go (editors often replace them).
  const envFiles = new Set(DEV_ENV_FILES.map((f) => join(project.root, f)));
  const envWatcher = watch(project.root, {
    ignoreInitial: true,
    depth: 0,
    ignored: (path) => path !== project.root && !envFiles.has(path),
  });
  envWatcher.on("all", () => {
    envChanged = true;
    schedule();
  });
  await Promise.all(
    [watcher, envWatcher].map((w) => new Promise<void>((resolve) => w.once("ready", resolve))),
  );

  const close = async () => {
    clearTimeout(timer);
    await watcher.close();
    await envWatcher.close();
    await running;
    types?.close();
    await server.close();
  };
  return {
    server,
    appId,
    get project() {
      return project;
    },
    reloaded: () => new Promise<void>((r) => waiters.push(r)),
    close,
    [Symbol.asyncDispose]: close,
  };
}
