import {
  type DiscoveryProblem,
  deployBody,
  type LocalFunction,
  localMessage,
  type Project,
} from "@fnbase/project";
import { FnbaseError, isFnbaseError } from "@fnbase/shared";
import { appPath, functionPath } from "../core/app.js";
import type { ApiClient } from "../core/client.js";

/** What happened to one function in a deploy. */
export interface DeployLine {
  name: string;
  status: "deployed" | "unchanged" | "deleted" | "error";
  deployment_id?: string;
  error?: string;
  code?: string;
}

/** Options of {@link deployProject}. */
export interface DeployOptions {
  /** Only these functions (must exist locally). */
  names: string[];
  /** Also delete remote functions that are not in the project. */
  force: boolean;
  /** Called after each function, with its 1-based index and the total. */
  onLine?: (line: DeployLine, index: number, total: number) => void;
}

/** What {@link deployProject} did. */
export interface DeployOutcome {
  lines: DeployLine[];
  /** True when `force` found functions to delete but deleted none because of problems. */
  skippedDelete: boolean;
  /**
   * Without `force` or names: the deployed functions the project does not have (and that are
   * not a local folder with a problem), left alone. Empty otherwise.
   */
  serverOnly: string[];
}

/**
 * Deploys a project's functions to an app, one `PUT backend-functions/{name}` each. Discovery
 * problems count as failed functions (entity problems are not theirs: see `pushEntities`).
 * With `force`, remote functions absent locally are deleted, unless the project has function
 * problems (a broken folder is not an absent one); without it they are listed in `serverOnly`.
 *
 * A name whose function failed to load (`DiscoveryProblem.function`) is that failed function,
 * as in a full deploy.
 *
 * @throws {FnbaseError} `USAGE` for `force` with names, `FUNCTION_NOT_FOUND` for a name that
 *   is not in the project, `APP_NOT_FOUND` / auth errors before anything is uploaded.
 * @example
 * const lines = await deployProject(api, appId, project, { names: [], force: false });
 */
export async function deployProject(
  api: ApiClient,
  appId: string,
  project: Project,
  o: DeployOptions,
): Promise<DeployOutcome> {
  if (o.force && o.names.length > 0) {
    throw new FnbaseError("USAGE", "Cannot combine --force with function names", {
      hint: "--force deletes every remote function not in the project; run it without names",
    });
  }
  const local = new Map(project.functions.map((f) => [f.name, f]));
  const fnProblems = project.problems.filter((p) => p.resource === "function");
  // A named function whose folder failed to load reports that failure, as a plain deploy does.
  const concerns = (p: (typeof fnProblems)[number], n: string) => p.function === n;
  const missing = o.names.filter((n) => !local.has(n));
  const namedProblems = fnProblems.filter((p) => missing.some((n) => concerns(p, n)));
  for (const n of missing) {
    if (!namedProblems.some((p) => concerns(p, n))) {
      throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found in the project: "${n}"`, {
        hint: `Local functions: ${[...local.keys()].join(", ") || "none"}`,
      });
    }
  }
  // Fails early (unknown app, wrong key) before any per-function work.
  const remote = await api.request<{ functions: { name: string }[] }>(
    `${appPath(appId)}/backend-functions`,
  );
  const chosen: LocalFunction[] =
    o.names.length > 0 ? o.names.flatMap((n) => local.get(n) ?? []) : project.functions;
  const problems = o.names.length > 0 ? namedProblems : fnProblems;
  const absent = remote.functions.map((f) => f.name).filter((n) => !local.has(n));
  const toDelete = o.force ? absent : [];
  const skippedDelete = toDelete.length > 0 && fnProblems.length > 0;
  const troubled = new Set(fnProblems.map((p) => problemName(project, p)));
  const serverOnly = o.force || o.names.length > 0 ? [] : absent.filter((n) => !troubled.has(n));
  const total = chosen.length + problems.length + (skippedDelete ? 0 : toDelete.length);
  const lines: DeployLine[] = [];
  const push = (line: DeployLine) => {
    lines.push(line);
    o.onLine?.(line, lines.length, total);
  };

  for (const p of problems) {
    push({ name: problemName(project, p), status: "error", error: p.message, code: p.code });
  }
  for (const f of chosen) {
    try {
      const r = await api.request<{ status: "deployed" | "unchanged"; deployment_id?: string }>(
        functionPath(appId, f.name),
        {
          method: "PUT",
          body: deployBody(f),
        },
      );
      push({
        name: f.name,
        status: r.status,
        ...(r.deployment_id ? { deployment_id: r.deployment_id } : {}),
      });
    } catch (err) {
      if (isFnbaseError(err) && (err.code === "UNAUTHORIZED" || err.code === "SERVER_UNREACHABLE"))
        throw err;
      push({
        name: f.name,
        status: "error",
        error: isFnbaseError(err) ? localMessage(project.root, f, err) : errMessage(err),
        code: isFnbaseError(err) ? err.code : "INTERNAL",
      });
    }
  }
  if (!skippedDelete) {
    for (const n of toDelete) {
      try {
        await api.request(functionPath(appId, n), { method: "DELETE" });
        push({ name: n, status: "deleted" });
      } catch (err) {
        push({ name: n, status: "error", error: errMessage(err) });
      }
    }
  }
  return { lines, skippedDelete, serverOnly };
}

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The name a deploy line gives a discovery problem: its function's, else its path relative to
 * the functions dir (a shared file), else `(project)`.
 */
function problemName(project: Project, p: DiscoveryProblem): string {
  if (p.function !== undefined) return p.function;
  const path = p.path;
  if (!path) return "(project)";
  const rel = path.startsWith(project.functionsDir)
    ? path.slice(project.functionsDir.length + 1)
    : path.slice(project.base44Dir.length + 1);
  return rel.replace(/\\/g, "/").replace(/\/(entry\.(ts|js)|function\.jsonc)$/, "") || "(project)";
}
