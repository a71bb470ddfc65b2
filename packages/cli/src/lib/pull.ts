import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Project } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import type { RemoteFunction } from "./remote.js";

/** One file `pull` looked at, its path relative to the project root. */
export interface PulledFile {
  path: string;
  status: "written" | "unchanged";
}

/**
 * Writes deployed functions into the project: each file at `<functionsDir>/<name>/<path>`
 * (shared files climb into `base44/shared/`), never outside `base44/`. Files whose content is
 * already there are left alone.
 *
 * @throws {FnbaseError} `FUNCTION_NOT_FOUND` when `only` is not deployed.
 * @example
 * const files = await pullFunctions(project, remote.functions);
 */
export async function pullFunctions(
  project: Project,
  functions: RemoteFunction[],
  only?: string,
): Promise<PulledFile[]> {
  const chosen = only === undefined ? functions : functions.filter((f) => f.name === only);
  if (only !== undefined && chosen.length === 0) {
    throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "${only}"`, {
      hint: "List deployed functions with `fnbase functions list`",
    });
  }
  const out: PulledFile[] = [];
  const seen = new Set<string>();
  for (const fn of chosen) {
    const dir = join(project.functionsDir, ...fn.name.split("/"));
    for (const file of fn.files) {
      const target = resolve(dir, file.path);
      if (!target.startsWith(project.base44Dir + sep)) {
        throw new FnbaseError(
          "INVALID_PATH",
          `Cannot pull "${fn.name}": file path ${file.path} leaves base44/`,
        );
      }
      const rel = relative(project.root, target).split(sep).join("/");
      if (seen.has(rel)) continue;
      seen.add(rel);
      const current = await readFile(target, "utf8").catch(() => undefined);
      if (current === file.content) {
        out.push({ path: rel, status: "unchanged" });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, "utf8");
      out.push({ path: rel, status: "written" });
    }
  }
  return out;
}
