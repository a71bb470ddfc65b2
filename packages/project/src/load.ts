/** `loadProject`: everything `fnbase dev` and `fnbase deploy` need from a local project. */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { readAppLink } from "./app-link.js";
import {
  BASE44_DIR,
  DEFAULT_ENTITIES_DIR,
  DEFAULT_FUNCTIONS_DIR,
  findConfigFile,
  findProjectRoot,
  readProjectConfig,
} from "./config.js";
import { discoverFunctions } from "./discover.js";
import { discoverEntities } from "./entities.js";
import { show } from "./paths.js";
import type { DiscoveryProblem, Project } from "./types.js";

/** The folder inside `base44/` whose files every function uploads. */
const SHARED_DIR = "shared";

/**
 * Loads the project that holds `dir` (walking up like {@link findProjectRoot}): its config,
 * app link, functions and entities. Problems with single functions or entities land in
 * `problems` and leave those out; they never throw. A `functionsDir` or `entitiesDir` that the
 * config names but that does not exist is a problem; the default folder missing just means
 * none yet.
 *
 * @throws {FnbaseError} `PROJECT_INVALID` when no `base44/config.jsonc` is found, or the
 *   config or `.app.jsonc` cannot be read.
 * @example
 * const project = await loadProject(process.cwd());
 * for (const fn of project.functions) console.log(fn.name, fn.files.length);
 * for (const entity of project.entities) console.log(entity.name, entity.file);
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
  const folder = (key: "functionsDir" | "entitiesDir", fallback: string) => {
    const configured = typeof config[key] === "string" ? config[key].trim() : undefined;
    return { configured, path: resolve(base44Dir, configured ?? fallback) };
  };
  const fns = folder("functionsDir", DEFAULT_FUNCTIONS_DIR);
  const ents = folder("entitiesDir", DEFAULT_ENTITIES_DIR);
  const appId = await readAppLink(base44Dir);

  const { functions, problems, notes } = await discoverFunctions({
    root,
    functionsDir: fns.path,
    sharedDir: join(base44Dir, SHARED_DIR),
  });
  const found = await discoverEntities({ root, entitiesDir: ents.path });
  const missing: DiscoveryProblem[] = [];
  if (fns.configured !== undefined && !(await exists(fns.path))) {
    missing.push({
      code: "PROJECT_INVALID",
      resource: "function",
      message: `Cannot find functions folder "${fns.configured}": ${show(root, fns.path)} does not exist`,
      path: fns.path,
    });
  }
  if (ents.configured !== undefined && !(await exists(ents.path))) {
    missing.push({
      code: "PROJECT_INVALID",
      resource: "entity",
      message: `Cannot find entities folder "${ents.configured}": ${show(root, ents.path)} does not exist`,
      path: ents.path,
    });
  }
  const project: Project = {
    root,
    base44Dir,
    functionsDir: fns.path,
    entitiesDir: ents.path,
    config,
    functions,
    entities: found.entities,
    problems: [...missing, ...problems, ...found.problems],
    notes,
  };
  if (appId !== undefined) project.appId = appId;
  return project;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
