/**
 * Entity schemas on the server: the calls behind `fnbase entities push/list` and the entity
 * step of `fnbase deploy`. The wire is the Base44 CLI 0.1.18's (`core/resources/entity/api.ts`):
 * `PUT /api/apps/{appId}/entity-schemas` with `{ entityNameToSchema: { Name: schema } }`
 * answers `{ created, updated, deleted }`; `GET` the same path lists the schemas.
 */
import { isEntityName, type Project } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import { entitySchemasPath } from "../core/app.js";
import type { ApiClient } from "../core/client.js";

/** What the CLI says when the server has no entity-schemas route. */
const FEATURE = "The entity-schemas API";

/**
 * An entity schema as the server keeps it: a JSON-schema object (`properties`, `required`,
 * `rls`, ...) with its `name`.
 *
 * @example
 * const task: RemoteEntitySchema = { name: "Task", type: "object", properties: {} };
 */
export interface RemoteEntitySchema {
  name: string;
  [key: string]: unknown;
}

/**
 * The answer of `PUT entity-schemas`: entity names by what the push did to them. `deleted`
 * entities left the app's schema; their records are kept and return with the schema.
 */
export interface SyncResult {
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * The app's entity schemas, sorted by name as the server sends them.
 *
 * @throws {FnbaseError} `NOT_AVAILABLE` on a server without the route, `UPSTREAM_ERROR` for an
 *   answer that is not an array of schemas with valid names, and the server's own errors.
 * @example
 * const schemas = await fetchEntitySchemas(api, "app_1");
 */
export async function fetchEntitySchemas(
  api: ApiClient,
  appId: string,
): Promise<RemoteEntitySchema[]> {
  const body = await api.request<unknown>(entitySchemasPath(appId), { feature: FEATURE });
  if (!Array.isArray(body)) throw unexpected("GET entity-schemas", "expected a JSON array");
  for (const schema of body) {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      throw unexpected("GET entity-schemas", "an item is not an object");
    }
    const { name } = schema as { name?: unknown };
    if (typeof name !== "string" || !isEntityName(name)) {
      throw unexpected("GET entity-schemas", `invalid entity name ${JSON.stringify(name)}`);
    }
  }
  return body as RemoteEntitySchema[];
}

/**
 * Refuses to push a project whose entity files have problems: a push replaces the app's whole
 * schema, so a file left out for a typo would take its entity out of the schema.
 *
 * @throws {FnbaseError} `PROJECT_INVALID` naming the problems.
 * @example
 * assertNoEntityProblems(project);
 */
export function assertNoEntityProblems(project: Project): void {
  const problems = project.problems.filter((p) => p.resource === "entity");
  const [first] = problems;
  if (first === undefined) return;
  const message =
    problems.length === 1
      ? `Cannot push entities: ${lowerFirst(first.message)}`
      : `Cannot push entities: ${problems.length} entity files have problems: ${problems.map((p) => lowerFirst(p.message)).join("; ")}`;
  throw new FnbaseError("PROJECT_INVALID", message, {
    hint: "Fix the entity files first: a push replaces the app's whole schema, so a file left out would take its entity out",
  });
}

/**
 * Full sync of the project's entities: sends every local schema; the server removes from the
 * app's schema the entities the project does not have (keeping their records). Reads the
 * server's schemas first so the caller can say which entities will leave, before they do.
 * Call it only when the project has entities (with none, the Base44 CLI does not call the
 * server, and neither do we).
 *
 * @param beforePush Called with the names only the server has, before the push is sent.
 * @throws {FnbaseError} `PROJECT_INVALID` for entity problems ({@link assertNoEntityProblems}),
 *   `NOT_AVAILABLE` on a server without the route, the server's `INVALID_SCHEMA` (400, naming
 *   entity and field), auth and app errors.
 * @example
 * const { result } = await pushEntities(api, appId, project, (gone) => warn(gone));
 */
export async function pushEntities(
  api: ApiClient,
  appId: string,
  project: Project,
  beforePush?: (serverOnly: string[]) => void,
): Promise<{ serverOnly: string[]; result: SyncResult }> {
  assertNoEntityProblems(project);
  const local = new Set(project.entities.map((e) => e.name));
  const remote = await fetchEntitySchemas(api, appId);
  const serverOnly = remote.map((s) => s.name).filter((n) => !local.has(n));
  beforePush?.(serverOnly);
  const entityNameToSchema = Object.fromEntries(project.entities.map((e) => [e.name, e.schema]));
  const body = await api.request<unknown>(entitySchemasPath(appId), {
    method: "PUT",
    body: { entityNameToSchema },
    feature: FEATURE,
  });
  return { serverOnly, result: checkSyncResult(body) };
}

/**
 * What `entities list` shows of a schema: its name, how many fields (`properties`) it has,
 * and which operations carry access rules (`rls` keys with a rule set; `null`, `""` and `{}`
 * mean no rule).
 *
 * @example
 * summarize({ name: "Task", properties: { a: {}, b: {} }, rls: { read: true, write: null } });
 * // { name: "Task", fields: 2, access_rules: ["read"] }
 */
export function summarize(schema: RemoteEntitySchema): {
  name: string;
  fields: number;
  access_rules: string[];
} {
  const { properties, rls } = schema;
  const fields = isPlainObject(properties) ? Object.keys(properties).length : 0;
  const rules = isPlainObject(rls)
    ? Object.entries(rls)
        .filter(([, rule]) => !isNoRule(rule))
        .map(([op]) => op)
    : [];
  return { name: schema.name, fields, access_rules: rules };
}

function isNoRule(rule: unknown): boolean {
  return (
    rule === null ||
    rule === undefined ||
    rule === "" ||
    (isPlainObject(rule) && Object.keys(rule).length === 0)
  );
}

function checkSyncResult(body: unknown): SyncResult {
  const ok = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === "string");
  if (!isPlainObject(body) || !ok(body.created) || !ok(body.updated) || !ok(body.deleted)) {
    throw unexpected("PUT entity-schemas", "expected { created, updated, deleted } name lists");
  }
  return {
    created: body.created as string[],
    updated: body.updated as string[],
    deleted: body.deleted as string[],
  };
}

/** Lower-cases the first letter, to nest one message in another after a colon. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unexpected(call: string, detail: string): FnbaseError {
  return new FnbaseError("UPSTREAM_ERROR", `Unexpected answer to ${call}: ${detail}`, {
    hint: "Is the server an fnbase server of a matching version?",
  });
}
