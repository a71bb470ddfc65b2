/**
 * The shapes `loadProject` returns. Paths in `root`, `base44Dir`, `functionsDir`,
 * `entitiesDir`, `LocalFunction.dir` and `LocalEntity.file` are absolute; paths inside a
 * function (`entry`, `ProjectFile.path`) are relative to that function's folder and always use
 * `/`. Paths inside messages are relative to the project root.
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
 * An entity schema found in the project's entities folder.
 *
 * @example
 * const entity: LocalEntity = {
 *   name: "Task",
 *   file: "/home/me/app/base44/entities/Task.jsonc",
 *   schema: { name: "Task", type: "object", properties: { title: { type: "string" } } },
 * };
 */
export interface LocalEntity {
  /** The entity name, from the file's `name` field (not the file name), e.g. `commerce.Cart`. */
  name: string;
  /** The absolute path of the file. */
  file: string;
  /**
   * The parsed file as written (its `name` included): what `PUT entity-schemas` sends under
   * this name. Only `name` is checked here; the server checks the rest.
   */
  schema: Record<string, unknown>;
}

/**
 * Something wrong with one function, shared file or entity file. Problems do not stop the rest
 * of the project from loading; the function or entity they concern is left out of
 * `Project.functions` / `Project.entities`.
 *
 * @example
 * const problem: DiscoveryProblem = {
 *   code: "PROJECT_INVALID",
 *   resource: "function",
 *   message: 'Cannot load function "orders": entry file main.ts not found',
 *   path: "/home/me/app/base44/functions/orders",
 *   function: "orders",
 * };
 */
export interface DiscoveryProblem {
  code: "PROJECT_INVALID" | "INVALID_NAME";
  /** What the problem leaves out: a function (or a shared file), or an entity. */
  resource: "function" | "entity";
  message: string;
  /** The absolute path of the offending file or folder, when there is one. */
  path?: string;
  /**
   * The function it leaves out, by the name `fnbase deploy <name>` takes: the `name` its
   * `function.jsonc` gives, else its folder's path under the functions folder (`orders/process`).
   * Absent for a problem that is not one function's (a shared file too large, say).
   */
  function?: string;
}

/**
 * Something discovery skipped that the user probably meant to count: a folder under the
 * functions dir that holds code but is not a function. Notes never leave anything out that
 * would otherwise be in; they only say what was never in.
 *
 * @example
 * const note: DiscoveryNote = {
 *   message: "Skipped base44/functions/hello: it has index.ts but no entry.ts, entry.js or function.jsonc",
 *   path: "/home/me/app/base44/functions/hello",
 * };
 */
export interface DiscoveryNote {
  message: string;
  /** The absolute path of the folder or file. */
  path: string;
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
  /** The absolute entities folder (`entitiesDir` of the config, default `base44/entities`). */
  entitiesDir: string;
  /** The app this folder is linked to by `base44/.app.jsonc`, if any. */
  appId?: string;
  /** The parsed `base44/config.jsonc`. */
  config: Record<string, unknown>;
  /** Every function without problems, sorted by name. */
  functions: LocalFunction[];
  /** Every entity without problems, sorted by name. */
  entities: LocalEntity[];
  /** Everything wrong with individual functions and entities, in discovery order. */
  problems: DiscoveryProblem[];
  /** What discovery skipped without it being an error (code outside any function). */
  notes: DiscoveryNote[];
}
