import type { Colors } from "../core/output.js";

/**
 * The lines `fnbase dev` prints once it is up: URL, app id, a one-time sign-in link to the
 * dashboard, each function's URL, each entity's
 * records route, and a `curl` for `hello` when there is one (the template's and the
 * quickstart's), else the first function.
 *
 * @example
 * devBanner(c, "http://127.0.0.1:4400", "local", ["hello"], ["Task"]).forEach((l) => console.log(l));
 */
export function devBanner(
  c: Colors,
  url: string,
  appId: string,
  names: string[],
  entities: string[],
  adminKey?: string,
  dashboard?: string,
): string[] {
  const lines = [
    "",
    `${c.bold("fnbase dev")} ready at ${c.cyan(url)}`,
    appId === "local"
      ? `App: ${appId}`
      : `App: ${appId} ${c.dim("(linked in base44/.app.jsonc; without a link the dev app is local)")}`,
  ];
  if (adminKey) lines.push(`Admin API key (shown once): ${c.yellow(adminKey)}`);
  if (dashboard) lines.push(`Dashboard: ${c.cyan(dashboard)} ${c.dim("(signs you in once)")}`);
  if (names.length === 0) {
    lines.push(c.yellow("No functions yet: add base44/functions/<name>/entry.ts"));
  } else {
    lines.push("Functions:");
    for (const n of names) lines.push(`  ${n.padEnd(24)} ${c.cyan(`${url}/functions/${n}`)}`);
    const pick = names.includes("hello") ? "hello" : names[0];
    lines.push(
      "",
      "Try:",
      `  curl -X POST ${url}/functions/${pick} -H 'Content-Type: application/json' -d '{}'`,
    );
  }
  if (entities.length > 0) {
    lines.push("", "Entities (records, under the access rules of base44/entities/*.jsonc):");
    for (const e of entities) {
      lines.push(`  ${e.padEnd(24)} ${c.cyan(`${url}/api/apps/${appId}/entities/${e}`)}`);
    }
  }
  lines.push("", c.dim("Watching base44/ for changes. Press Ctrl-C to stop."), "");
  return lines;
}
