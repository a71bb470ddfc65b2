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
