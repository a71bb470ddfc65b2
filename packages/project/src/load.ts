/** `loadProject`: everything `fnbase dev` and `fnbase deploy` need from a local project. */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { readAppLink } from "./app-link.js";
import {
  BASE44_DIR,
  DEFAULT_FUNCTIONS_DIR,
  findConfigFile,
  findProjectRoot,
  readProjectConfig,
} from "./config.js";
import { discoverFunctions } from "./discover.js";
import type { Project } from "./types.js";

/** The folder inside `base44/` whose files every function uploads. */
const SHARED_DIR = "shared";

/**
 * Loads the project that holds `dir` (walking up like {@link findProjectRoot}): its config,
 * app link and functions. Problems with single functions land in `problems` and leave those
 * functions out; they never throw. A `functionsDir` that the config names but that does not
 * exist is a problem; the default `./functions` missing just means no functions yet.
 *
 * @throws {FnbaseError} `PROJECT_INVALID` when no `base44/config.jsonc` is found, or the
 *   config or `.app.jsonc` cannot be read.
 * @example
 * const project = await loadProject(process.cwd());
 * for (const fn of project.functions) console.log(fn.name, fn.files.length);
 */
export async function loadProject(dir: string): Promise<Project> {
  const root = await findProjectRoot(dir);
  const configFile = root === undefined ? undefined : await findConfigFile(root);
  if (root === undefined || configFile === undefined) {
    throw new FnbaseError(
      "PROJECT_INVALID",
      `No project found: no ${BASE44_DIR}/config.jsonc in ${resolve(dir)} or any folder above it`,
      { hint: "Run `fnbase init` to create a project" },
    );
  }
  const base44Dir = join(root, BASE44_DIR);
  const config = await readProjectConfig(configFile);
  const configured =
    typeof config.functionsDir === "string" ? config.functionsDir.trim() : undefined;
  const functionsDir = resolve(base44Dir, configured ?? DEFAULT_FUNCTIONS_DIR);
  const appId = await readAppLink(base44Dir);

  const { functions, problems } = await discoverFunctions({
    root,
    functionsDir,
    sharedDir: join(base44Dir, SHARED_DIR),
  });
  if (configured !== undefined && !(await exists(functionsDir))) {
    problems.unshift({
      code: "PROJECT_INVALID",
      message: `Cannot find functions folder "${configured}": ${functionsDir} does not exist`,
      path: functionsDir,
    });
  }
  const project: Project = { root, base44Dir, functionsDir, config, functions, problems };
  if (appId !== undefined) project.appId = appId;
  return project;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
