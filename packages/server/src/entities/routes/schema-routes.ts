import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";
import { readJson } from "../../api/errors.js";
import type { Catalog } from "../../catalog.js";
import type { EntitySchemas } from "../schema/schema-catalog.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The schema body of a sync: `{ entityNameToSchema }` (what `base44 entities push` 0.1.18
 * sends), or, for the older `entities-schemas/sync-all`, a list of schemas or `{ schemas }`.
 */
function schemasOf(body: unknown): unknown {
  if (isObject(body) && body.entityNameToSchema !== undefined) return body.entityNameToSchema;
  const list = Array.isArray(body)
    ? body
    : isObject(body)
      ? (body.schemas ?? body.entities)
      : undefined;
  if (Array.isArray(list)) {
    const out: Record<string, unknown> = {};
    for (const s of list) {
      if (!isObject(s) || typeof s.name !== "string") {
        throw new FnbaseError("INVALID_SCHEMA", 'Each schema in the list needs a "name"');
      }
      if (Object.hasOwn(out, s.name)) {
        throw new FnbaseError("INVALID_SCHEMA", `Entity "${s.name}" is listed twice`);
      }
      out[s.name] = s;
    }
    return out;
  }
  throw new FnbaseError(
    "INVALID_SCHEMA",
    'The body must be { "entityNameToSchema": { "<Name>": <schema> } }',
    {
      hint: "This is what `base44 entities push` and `fnbase entities push` send",
    },
  );
}

/**
 * Entity schema management, under the key-protected `/api/apps` group:
 * `PUT {appId}/entity-schemas` (full sync, `{created, updated, deleted}`), the older
 * `PUT {appId}/entities-schemas/sync-all`, `GET {appId}/entity-schemas` (every live schema, by
 * name) and `GET {appId}/entity-schemas/{name}`. An entity a sync leaves out keeps its records;
 * pushing its name again brings them back.
 *
 * @example
 * mgmt.route("/", schemaRoutes(catalog, schemas));
 */
export function schemaRoutes(catalog: Catalog, schemas: EntitySchemas): Hono {
  const r = new Hono();
  const appId = (id: string | undefined) => {
    const app = catalog.app(id ?? "");
    if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${id}`);
    return app.id;
  };
  const sync = async (id: string | undefined, body: unknown) =>
    await schemas.sync(appId(id), schemasOf(body));
  r.put("/:appId/entity-schemas", async (c) =>
    c.json(await sync(c.req.param("appId"), await readJson(c))),
  );
  r.put("/:appId/entities-schemas/sync-all", async (c) =>
    c.json(await sync(c.req.param("appId"), await readJson(c))),
  );
  r.get("/:appId/entity-schemas", (c) => c.json(schemas.list(appId(c.req.param("appId")))));
  r.get("/:appId/entity-schemas/:name", (c) => {
    const id = appId(c.req.param("appId"));
    const name = c.req.param("name");
    const s = schemas.list(id).find((x) => x.name === name);
    if (!s) throw new FnbaseError("ENTITY_NOT_FOUND", `Entity not found: "${name}"`);
    return c.json(s);
  });
  return r;
}
