/** `fnbase entities pull`: the server's entity schemas written into the project. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { Project } from "@fnbase/project";
import { type ParseError, parse } from "jsonc-parser";
import type { RemoteEntitySchema } from "./entities.js";

/** What `pull` did with one schema; `path` is relative to the project root, with `/`. */
export interface PulledEntity {
  name: string;
  path: string;
  /**
   * `written`: the file was created (or overwritten with `force`); `unchanged`: the local file
   * already holds this schema (comments and key order aside) and was left alone; `skipped`:
   * the local file differs and `force` was not given.
   */
  status: "written" | "unchanged" | "skipped";
}

/**
 * Writes each schema as formatted JSON to the file that already defines that entity, else to
 * `<entitiesDir>/<Name>.jsonc`. A local file that differs is never overwritten unless `force`.
 * Names are checked by {@link fetchEntitySchemas} (no separators, no `..`), so every target
 * stays inside the entities folder.
 *
 * @example
 * const files = await pullEntities(project, await fetchEntitySchemas(api, appId), false);
 */
export async function pullEntities(
  project: Project,
  schemas: RemoteEntitySchema[],
  force: boolean,
): Promise<PulledEntity[]> {
  const localFile = new Map(project.entities.map((e) => [e.name, e.file]));
  const pulled: PulledEntity[] = [];
  for (const schema of schemas) {
    const target = localFile.get(schema.name) ?? join(project.entitiesDir, `${schema.name}.jsonc`);
    const path = relative(project.root, target).split(sep).join("/");
    const current = await readFile(target, "utf8").catch(() => undefined);
    const { name, ...rest } = schema;
    const ordered = { name, ...rest };
    if (current !== undefined && sameSchema(current, ordered)) {
      pulled.push({ name, path, status: "unchanged" });
      continue;
    }
    if (current !== undefined && !force) {
      pulled.push({ name, path, status: "skipped" });
      continue;
    }
    await mkdir(project.entitiesDir, { recursive: true });
    await writeFile(target, `${JSON.stringify(ordered, null, 2)}\n`, "utf8");
    pulled.push({ name, path, status: "written" });
  }
  return pulled;
}

/** True when JSONC `text` parses to `schema` (ignoring comments, formatting and key order). */
function sameSchema(text: string, schema: unknown): boolean {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true });
  return errors.length === 0 && isDeepStrictEqual(value, schema);
}
