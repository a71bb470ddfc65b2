import { posix, relative, resolve, sep } from "node:path";
import type { LocalFunction } from "./types.js";

/** The body of `PUT backend-functions/{name}` (the contract's deploy call) for a local function. */
export interface DeployBody {
  entry: string;
  files: { path: string; content: string }[];
  automations?: unknown[];
}

/**
 * The deploy body of a discovered function, as `fnbase deploy` and `fnbase dev` send it.
 *
 * @example
 * for (const f of project.functions) await put(`backend-functions/${encodeURIComponent(f.name)}`, deployBody(f));
 */
export function deployBody(f: LocalFunction): DeployBody {
  return {
    entry: f.entry,
    files: f.files,
    ...(f.automations ? { automations: f.automations } : {}),
  };
}

/**
 * A path the server names in a deployment (`base44/functions/<name>/…`, `base44/shared/…`, as in
 * an `INVALID_CODE` error's `location`) as a path relative to the project root. Both are the
 * same with the usual layout; with another `functionsDir` the function's folder is where the
 * project has it.
 *
 * @example
 * projectPath("/p", { name: "hello", dir: "/p/base44/src/fns/hello" }, "base44/functions/hello/entry.ts");
 * // "base44/src/fns/hello/entry.ts"
 */
export function projectPath(
  root: string,
  f: Pick<LocalFunction, "name" | "dir">,
  serverFile: string,
): string {
  const inFunction = posix.relative(`base44/functions/${f.name}`, serverFile);
  return relative(root, resolve(f.dir, inFunction)).split(sep).join("/");
}

/**
 * The message of a deploy error with the server's path of its `location` written as the
 * project's (see {@link projectPath}); other messages as they are.
 *
 * @example
 * localMessage("/p", fn, err); // 'Cannot deploy "hello": base44/src/fns/hello/entry.ts:2:13: …'
 */
export function localMessage(
  root: string,
  f: Pick<LocalFunction, "name" | "dir">,
  err: { message: string; location?: { file: string } | undefined },
): string {
  const file = err.location?.file;
  return file === undefined ? err.message : err.message.replace(file, projectPath(root, f, file));
}
