import { join } from "node:path";
import { findProjectRoot, readAppLink } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";

/**
 * The app a command works on: `--app-id`, else the link in `base44/.app.jsonc` of the project
 * that holds the current folder.
 *
 * @throws {FnbaseError} `NOT_LINKED` when neither is there.
 * @example
 * const appId = await resolveAppId(opts.appId);
 */
export async function resolveAppId(
  given: string | undefined,
  cwd = process.cwd(),
): Promise<string> {
  if (given !== undefined && given.trim() !== "") return given.trim();
  const root = await findProjectRoot(cwd);
  const id = root === undefined ? undefined : await readAppLink(join(root, "base44"));
  if (id === undefined) {
    throw new FnbaseError(
      "NOT_LINKED",
      "No base44/.app.jsonc here: this folder is not linked to an app",
      {
        hint: "Run `fnbase link` or pass `--app-id`",
      },
    );
  }
  return id;
}

/** `/api/apps/{appId}` with the id URL-encoded. */
export const appPath = (appId: string) => `/api/apps/${encodeURIComponent(appId)}`;

/** `/api/apps/{appId}/backend-functions/{name}` with both URL-encoded. */
export const functionPath = (appId: string, name: string) =>
  `${appPath(appId)}/backend-functions/${encodeURIComponent(name)}`;

/** `/api/apps/{appId}/entity-schemas` with the id URL-encoded. */
export const entitySchemasPath = (appId: string) => `${appPath(appId)}/entity-schemas`;
