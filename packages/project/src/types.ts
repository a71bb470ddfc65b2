/**
 * The shapes `loadProject` returns. Paths in `root`, `base44Dir`, `functionsDir` and
 * `LocalFunction.dir` are absolute; paths inside a function (`entry`, `ProjectFile.path`) are
 * relative to that function's folder and always use `/`.
 */

/**
 * One file uploaded with a function.
 *
 * `path` is relative to the function folder, with `/` separators. Files of `base44/shared/`
 * are listed with the path that reaches them from that function folder, so a server that
 * writes every file at `<fnDir>/<path>` recreates the layout the imports expect:
 * `../../shared/util.ts` for `functions/orders/entry.ts`, `../../../shared/util.ts` for
 * `functions/orders/process/entry.ts`.
 *
 * @example
 * const file: ProjectFile = { path: "entry.ts", content: "Deno.serve(() => new Response())" };
 */
export interface ProjectFile {
  path: string;
  content: string;
}

/**
 * A function found in the project, ready to deploy or serve.
 *
 * @example
 * const fn: LocalFunction = {
 *   name: "orders/process",
 *   dir: "/home/me/app/base44/functions/orders/process",
 *   entry: "entry.ts",
 *   files: [{ path: "entry.ts", content: "…" }],
 * };
 */
export interface LocalFunction {
  /** The function name, e.g. `orders/process`. */
  name: string;
  /** The absolute path of the function folder. */
  dir: string;
  /** The entry file, relative to `dir`, e.g. `entry.ts`. */
  entry: string;
  /** Every uploaded file, sorted by path; shared files come with `../` paths. */
  files: ProjectFile[];
  /** The `automations` of `function.jsonc`, passed through unchecked. */
  automations?: unknown[];
}

/**
 * Something wrong with one function (or one shared file). Problems do not stop the rest of
 * the project from loading; the function they concern is left out of `Project.functions`.
 *
 * @example
 * const problem: DiscoveryProblem = {
 *   code: "PROJECT_INVALID",
 *   message: 'Cannot load function "orders": entry file main.ts not found',
 *   path: "/home/me/app/base44/functions/orders",
 * };
 */
export interface DiscoveryProblem {
  code: "PROJECT_INVALID" | "INVALID_NAME";
  message: string;
  /** The absolute path of the offending file or folder, when there is one. */
  path?: string;
}

/**
 * A local Base44-style project as read from disk.
 *
 * @example
 * const project: Project = await loadProject(process.cwd());
 * for (const problem of project.problems) log.warn(problem.message);
 */
export interface Project {
  /** The absolute folder that holds `base44/`. */
  root: string;
  /** The absolute path of `base44/`. */
  base44Dir: string;
  /** The absolute functions folder (`functionsDir` of the config, default `base44/functions`). */
  functionsDir: string;
  /** The app this folder is linked to by `base44/.app.jsonc`, if any. */
  appId?: string;
  /** The parsed `base44/config.jsonc`. */
  config: Record<string, unknown>;
  /** Every function without problems, sorted by name. */
  functions: LocalFunction[];
  /** Everything wrong with individual functions, in discovery order. */
  problems: DiscoveryProblem[];
}
