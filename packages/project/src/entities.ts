/**
 * Entity discovery, as the Base44 CLI 0.1.18 does it (`core/resources/entity/config.ts`): every
 * `*.json` / `*.jsonc` file directly in the entities folder is one entity schema, parsed as
 * JSONC, named by its `name` field (not by the file name).
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { compare, readDirSorted } from "./files.js";
import { isObject, parseJsonc } from "./jsonc.js";
import { isEntityName } from "./names.js";
import { isDirectory, show } from "./paths.js";
import type { DiscoveryProblem, LocalEntity } from "./types.js";

/** Extensions of entity schema files. */
const ENTITY_EXTENSIONS = [".json", ".jsonc"] as const;

/** Where to look, and what to show paths relative to. */
export interface EntityDiscoveryOptions {
  /** The absolute project root; messages show paths relative to it. */
  root: string;
  /** The absolute entities folder; need not exist. */
  entitiesDir: string;
}

/** What {@link discoverEntities} found. */
export interface EntityDiscovery {
  entities: LocalEntity[];
  problems: DiscoveryProblem[];
}

/**
 * Reads every entity file of the entities folder. A missing folder yields no entities and no
 * problems. A file that is not JSONC, not an object, or has no valid `name` is a problem and
 * is left out; so are both files of a duplicate name. Subfolders and hidden files are ignored.
 *
 * @example
 * const { entities, problems } = await discoverEntities({
 *   root: "/app",
 *   entitiesDir: "/app/base44/entities",
 * });
 * entities.map((e) => e.name); // ["Task", "commerce.Cart"]
 */
export async function discoverEntities(options: EntityDiscoveryOptions): Promise<EntityDiscovery> {
  const problems: DiscoveryProblem[] = [];
  if (!(await isDirectory(options.entitiesDir))) return { entities: [], problems };

  const files: string[] = [];
  for (const entry of await readDirSorted(options.entitiesDir)) {
    if (entry.name.startsWith(".") || !ENTITY_EXTENSIONS.some((e) => entry.name.endsWith(e))) {
      continue;
    }
    const file = join(options.entitiesDir, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(file)))) files.push(file);
  }

  const byName = new Map<string, LocalEntity[]>();
  for (const file of files) {
    const read = await readEntity(file, options.root);
    if ("problem" in read) {
      problems.push(read.problem);
      continue;
    }
    const group = byName.get(read.entity.name) ?? [];
    group.push(read.entity);
    byName.set(read.entity.name, group);
  }

  const entities: LocalEntity[] = [];
  for (const [name, group] of byName) {
    const [first] = group;
    if (first === undefined) continue;
    if (group.length === 1) {
      entities.push(first);
      continue;
    }
    const shown = group.map((e) => show(options.root, e.file)).join(" and ");
    problems.push({
      code: "PROJECT_INVALID",
      resource: "entity",
      message: `Duplicate entity name "${name}": defined by ${shown}`,
      path: first.file,
    });
  }
  entities.sort((a, b) => compare(a.name, b.name));
  return { entities, problems };
}

async function readEntity(
  file: string,
  root: string,
): Promise<{ entity: LocalEntity } | { problem: DiscoveryProblem }> {
  const where = show(root, file);
  const problem = (message: string, code: DiscoveryProblem["code"] = "PROJECT_INVALID") => ({
    problem: { code, resource: "entity" as const, message, path: file },
  });
  const parsed = parseJsonc(await readFile(file, "utf8"));
  if (!parsed.ok)
    return problem(`Cannot load entity from ${where}: invalid JSONC at ${parsed.error}`);
  const schema = parsed.value;
  if (!isObject(schema)) {
    return problem(`Cannot load entity from ${where}: expected a JSON object with a "name"`);
  }
  const { name } = schema;
  if (name === undefined) {
    return problem(`Cannot load entity from ${where}: "name" is missing`, "INVALID_NAME");
  }
  if (typeof name !== "string") {
    return problem(
      `Cannot load entity from ${where}: "name" must be a string, got ${JSON.stringify(name)}`,
      "INVALID_NAME",
    );
  }
  if (!isEntityName(name)) {
    return problem(
      `Cannot load entity from ${where}: invalid entity name ${JSON.stringify(name)}: use letters, digits and "_", not starting with a digit, with "." between parts (e.g. "Task", "commerce.Cart")`,
      "INVALID_NAME",
    );
  }
  return { entity: { name, file, schema } };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
