import type { Catalog } from "./catalog.js";
import type { AppRecord } from "./store/index.js";

const named = (a: AppRecord) => `app ${JSON.stringify(a.name)} (${a.id})`;

/**
 * What the server says about the app `/functions/*` and `/api/functions/*` serve when no app id,
 * `X-App-Id` or domain picks one (see {@link Catalog.defaultApp}): at start, and, with
 * `created`, when an app is created.
 *
 * @example
 * defaultAppNotice(catalog, undefined);
 * // '/functions/* serves app "shop" (6a1f…), the first app created; choose another with --default-app <id>'
 */
export function defaultAppNotice(
  catalog: Catalog,
  explicit: string | undefined,
  created?: AppRecord,
): string {
  const current = catalog.defaultApp(explicit);
  const how = explicit !== undefined ? "chosen with --default-app" : "the first app created";
  if (created !== undefined) {
    if (current?.id === created.id) {
      return `Created ${named(created)}; /functions/* serves it (${how}; choose another with --default-app <id>)`;
    }
    return `Created ${named(created)}; /functions/* still serves ${current ? named(current) : "no app"}: call this one at /api/apps/${created.id}/functions/<name>, with X-App-Id: ${created.id}, on a domain of its own, or restart the server with --default-app ${created.id}`;
  }
  if (current) {
    return `/functions/* serves ${named(current)}, ${how}${explicit === undefined ? "; choose another with --default-app <id>" : ""}`;
  }
  return explicit !== undefined
    ? `/functions/* serves no app yet: --default-app ${explicit} names no app (create it with that id)`
    : "/functions/* will serve the first app created; choose one with --default-app <id>";
}
