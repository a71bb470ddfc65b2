import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";
import { newId } from "../deploy/deployer.js";
import { parseAllowEntry } from "../runtime/egress/policy.js";
import type { AppPatch } from "../store/index.js";
import { requestApiKey } from "./auth.js";
import type { ApiDeps } from "./context.js";
import { readJson } from "./errors.js";

/** Most entries an app's `egress_allow` may hold. */
const MAX_EGRESS_ALLOW = 100;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function parsePatch(body: unknown): AppPatch {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const patch: AppPatch = {};
  if (b.name !== undefined) {
    if (typeof b.name !== "string" || b.name.trim() === "")
      throw new FnbaseError("BAD_REQUEST", '"name" must be a non-empty string');
    patch.name = b.name.trim();
  }
  if (b.functions_enabled !== undefined) {
    if (typeof b.functions_enabled !== "boolean")
      throw new FnbaseError("BAD_REQUEST", '"functions_enabled" must be true or false');
    patch.functions_enabled = b.functions_enabled;
  }
  for (const field of ["cors_origins", "domains"] as const) {
    const v = b[field];
    if (v === undefined) continue;
    if (
      !Array.isArray(v) ||
      !v.every((s) => typeof s === "string" && s.length > 0 && s.length < 256)
    ) {
      throw new FnbaseError("BAD_REQUEST", `"${field}" must be an array of strings`);
    }
    patch[field] = v as string[];
  }
  if (b.egress_allow !== undefined) {
    const v = b.egress_allow;
    if (
      !Array.isArray(v) ||
      v.length > MAX_EGRESS_ALLOW ||
      !v.every((s) => typeof s === "string")
    ) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `"egress_allow" must be an array of at most ${MAX_EGRESS_ALLOW} strings`,
      );
    }
    for (const entry of v as string[]) parseAllowEntry(entry);
    patch.egress_allow = (v as string[]).map((s) => s.trim().toLowerCase());
  }
  return patch;
}

/**
 * Throws `FORBIDDEN` unless the caller holds the admin key, when `patch` sets what only the
 * operator may: `egress_allow` opens the host's network to an app's functions, and a workspace
 * key may belong to an app's developers.
 */
function operatorOnly(d: ApiDeps, patch: AppPatch, key: string | undefined): void {
  if (patch.egress_allow === undefined || (key !== undefined && d.isAdminKey(key))) return;
  throw new FnbaseError("FORBIDDEN", 'Only the admin key can change "egress_allow"', {
    hint: "It opens the host's network to the app's functions: an operator's decision",
  });
}

/** `POST/GET /api/apps`, `GET/PATCH /api/apps/{appId}`. */
export function appsRoutes(d: ApiDeps): Hono {
  const r = new Hono();
  r.post("/", async (c) => {
    const body = (await readJson(c)) as Record<string, unknown> | null;
    const name = body?.name;
    if (typeof name !== "string" || name.trim() === "") {
      throw new FnbaseError("BAD_REQUEST", '"name" must be a non-empty string', {
        hint: 'Send { "name": "my-app" }',
      });
    }
    let id = newId();
    if (body?.id !== undefined) {
      if (typeof body.id !== "string" || !ID.test(body.id)) {
        throw new FnbaseError(
          "BAD_REQUEST",
          `"id" must be 1-64 letters, digits, _ or -: ${JSON.stringify(body.id)}`,
        );
      }
      if (d.catalog.app(body.id))
        throw new FnbaseError("CONFLICT", `App already exists: ${body.id}`);
      id = body.id;
    }
    const rest = { ...body };
    delete rest.name;
    delete rest.id;
    // Checked whole before anything is written: a refused setting creates no app.
    const patch = Object.keys(rest).length > 0 ? parsePatch(rest) : undefined;
    if (patch)
      operatorOnly(
        d,
        patch,
        requestApiKey((n) => c.req.header(n)),
      );
    let app = await d.catalog.createApp({ id, name: name.trim() });
    if (patch) app = (await d.catalog.updateApp(id, patch))!;
    return c.json(app, 201);
  });
  r.get("/", (c) => c.json(d.catalog.apps()));
  r.get("/:appId", (c) => c.json(mustApp(d, c.req.param("appId"))));
  r.patch("/:appId", async (c) => {
    const id = mustApp(d, c.req.param("appId")).id;
    const patch = parsePatch(await readJson(c));
    operatorOnly(
      d,
      patch,
      requestApiKey((n) => c.req.header(n)),
    );
    const app = await d.catalog.updateApp(id, patch);
    if (patch.functions_enabled === false) d.runtime.retire(id);
    return c.json(app);
  });
  return r;
}

/** The app, or a 404. */
export function mustApp(d: ApiDeps, id: string) {
  const app = d.catalog.app(id);
  if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${id}`);
  return app;
}
