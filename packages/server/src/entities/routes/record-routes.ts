import { FnbaseError } from "@fnbase/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { limitBody } from "../../api/body-limit.js";
import { MAX_JSON_DEPTH, nestedDeeper, readJson } from "../../api/errors.js";
import { writeDepth } from "../../automations/index.js";
import { actorOf, appOf } from "../../identity/caller.js";
import type { IdentityDeps } from "../../identity/deps.js";
import {
  parseFields,
  parseFilter,
  parseLimit,
  parseQueryParam,
  parseSkip,
  parseSort,
} from "../query/index.js";
import { aggregate } from "../records/aggregate.js";
import { bulkUpdate, updateMany, upsert } from "../records/batch-writes.js";
import { importRecords } from "../records/import.js";
import { listPage } from "../records/pages.js";
import type { EntityCall, EntityService } from "../records/service.js";
import { jsonArray, jsonText } from "./answer.js";

/** `c.json` through {@link jsonText} (compressed here, at level 1). */
const json = (c: Context, value: unknown, status = 200) =>
  jsonText(c, JSON.stringify(value), status);

/** Records the array routes (`list`, `filter`) answer with at most, and by default. */
export const LIST_MAX = 5_000;

/** What the record routes work with. */
export interface RecordRouteDeps {
  identity: IdentityDeps;
  entities: EntityService;
  /** Largest JSON body of a record route, in bytes (bulk calls, deleteMany). */
  maxBodyBytes: number;
  /** Largest file `POST /import` takes, in bytes. */
  maxImportBytes: number;
}

/**
 * The record routes `@base44/sdk` calls, under `/api/apps/{appId}/entities/{Entity}`
 * (`../shared/BASE44-DATA.md` §1.2): literal sub-paths (`v2/list`, `count`, `aggregate`,
 * `upsert`, `import`, `bulk`, `update-many`, and `User/me`) are matched before `/{id}`. Each
 * route resolves the caller (a user, the service role or an API key, or anonymous) and leaves
 * everything else to {@link EntityService}, so every path applies the same rules.
 *
 * @example
 * recordRoutes(api, { identity, entities, maxBodyBytes: 16 << 20, maxImportBytes: 50 << 20 });
 */
export function recordRoutes(api: Hono, d: RecordRouteDeps): void {
  const base = "/api/apps/:appId/entities/:entity";
  const svc = d.entities;
  const call = async (c: Context): Promise<EntityCall> => {
    const app = appOf(d.identity, c);
    const actor = await actorOf(d.identity, app.id, (n) => c.req.header(n));
    // After actorOf: a token present here has been verified.
    const depth = writeDepth(c.req.header("authorization"));
    return {
      appId: app.id,
      entity: c.req.param("entity") ?? "",
      actor,
      ...(depth > 0 ? { depth } : {}),
    };
  };
  // Bodies are read whole (JSON), so each route caps them; an import takes a larger file.
  const body = limitBody(d.maxBodyBytes);
  const file = limitBody(d.maxImportBytes);
  const limit: MiddlewareHandler = (c, next) =>
    (c.req.path.endsWith("/import") ? file : body)(c, next);
  api.use(base, limit);
  api.use(`${base}/*`, limit);

  // The caller's own user row, as a record (what auth.updateMe sends).
  api.put("/api/apps/:appId/entities/User/me", async (c) => {
    const k = await call(c);
    if (k.actor.kind !== "user") {
      throw new FnbaseError(
        k.actor.kind === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN",
        k.actor.kind === "anonymous"
          ? "Missing token: send Authorization: Bearer <token>"
          : "The service role is not a user: it has no profile",
      );
    }
    return json(c, await svc.update({ ...k, entity: "User" }, k.actor.user.id, await readJson(c)));
  });

  api.get(`${base}/v2/list`, async (c) => {
    const q = c.req.query();
    return json(c, await listPage(svc, await call(c), q));
  });
  api.get(`${base}/count`, async (c) => {
    return json(c, await svc.count(await call(c), parseQueryParam(c.req.query("q"))));
  });
  api.post(`${base}/aggregate`, async (c) => {
    return json(c, await aggregate(svc, await call(c), await readJson(c)));
  });
  api.post(`${base}/upsert`, async (c) => {
    return json(c, await upsert(svc, await call(c), await readJson(c)));
  });
  api.post(`${base}/import`, async (c) => {
    const k = await call(c);
    const form = await c.req.formData().catch(() => {
      throw new FnbaseError(
        "BAD_REQUEST",
        "Send the file as multipart/form-data, in a part named file",
      );
    });
    const file = form.get("file");
    if (!(file instanceof File)) {
      throw new FnbaseError("BAD_REQUEST", 'No file: send it in a multipart part named "file"');
    }
    return json(c, await importRecords(svc, k, { name: file.name, text: await file.text() }));
  });
  api.post(`${base}/bulk`, async (c) => {
    return jsonText(c, await svc.bulkCreate(await call(c), await readJson(c)), 201);
  });
  api.put(`${base}/bulk`, async (c) => {
    return json(c, await bulkUpdate(svc, await call(c), await readJson(c)));
  });
  api.patch(`${base}/update-many`, async (c) => {
    return json(c, await updateMany(svc, await call(c), await readJson(c)));
  });

  api.get(base, async (c) => {
    const fields = parseFields(c.req.query("fields"));
    const batches = svc.listJson(await call(c), {
      filter: parseQueryParam(c.req.query("q")),
      sort: parseSort(c.req.query("sort")),
      limit: parseLimit(c.req.query("limit"), { max: LIST_MAX, fallback: LIST_MAX }),
      skip: parseSkip(c.req.query("skip")),
      ...(fields ? { fields } : {}),
    });
    return await jsonArray(c, batches);
  });
  api.post(base, async (c) => {
    return jsonText(c, await svc.create(await call(c), await readJson(c)), 201);
  });
  // deleteMany: the query is the JSON body.
  api.delete(base, async (c) => {
    const k = await call(c);
    const text = await c.req.text();
    let body: unknown = {};
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        throw new FnbaseError("INVALID_JSON", "The body of deleteMany is not valid JSON", {
          hint: 'Send the query as the JSON body, e.g. { "status": "done" }',
        });
      }
      if (nestedDeeper(body, MAX_JSON_DEPTH)) {
        throw new FnbaseError(
          "INVALID_JSON",
          `The request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
        );
      }
    }
    return json(c, await svc.removeMany(k, parseFilter(body)));
  });

  api.get(`${base}/:id`, async (c) => {
    return json(c, await svc.get(await call(c), c.req.param("id")));
  });
  api.put(`${base}/:id`, async (c) => {
    return json(c, await svc.update(await call(c), c.req.param("id"), await readJson(c)));
  });
  api.delete(`${base}/:id`, async (c) => {
    return json(c, await svc.remove(await call(c), c.req.param("id")));
  });
}
