import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";
import { defaultAppNotice } from "../default-app.js";
import { newId } from "../deploy/deployer.js";
import { parseAllowEntry } from "../runtime/egress/policy.js";
import type { AppPatch, AppRecord } from "../store/index.js";
import { requestApiKey } from "./auth.js";
import type { ApiDeps } from "./context.js";
import { readJson } from "./errors.js";

/** Most entries an app's `egress_allow` may hold. */
const MAX_EGRESS_ALLOW = 100;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest app name, in characters. */
const MAX_NAME = 200;
/** Most domains and most CORS origins an app may have. */
const MAX_LIST = 100;
/** A host name (or IPv4 address) with an optional port, as a Host header names it. */
const DOMAIN =
  /^(?=.{1,253}(:\d{1,5})?$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?$/;
/** An origin (`*`, or scheme://host[:port]) without control characters or spaces. */
const ORIGIN = /^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s\p{Cc}/]+)$/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An app name: trimmed, non-empty, at most {@link MAX_NAME} characters, no control characters. */
function appName(raw: unknown): string {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (name === "") {
    throw new FnbaseError("BAD_REQUEST", '"name" must be a non-empty string', {
      hint: 'Send { "name": "my-app" }',
    });
  }
  if (name.length > MAX_NAME || CONTROL.test(name)) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `"name" must be at most ${MAX_NAME} characters without control characters: ${JSON.stringify(name.slice(0, 40))}${name.length > 40 ? "…" : ""}`,
    );
  }
  return name;
}

function parsePatch(body: unknown): AppPatch {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const patch: AppPatch = {};
  if (b.name !== undefined) patch.name = appName(b.name);
  if (b.functions_enabled !== undefined) {
    if (typeof b.functions_enabled !== "boolean")
      throw new FnbaseError("BAD_REQUEST", '"functions_enabled" must be true or false');
    patch.functions_enabled = b.functions_enabled;
  }
  for (const [field, shape, example] of [
    ["cors_origins", ORIGIN, "https://app.example.com"],
    ["domains", DOMAIN, "shop.example.com"],
  ] as const) {
    const v = b[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
      throw new FnbaseError("BAD_REQUEST", `"${field}" must be an array of strings`);
    }
    if (v.length > MAX_LIST) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `"${field}" may hold at most ${MAX_LIST} entries: got ${v.length}`,
      );
    }
    const bad = (v as string[]).find((s) => s.length > 255 || !shape.test(s));
    if (bad !== undefined) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Invalid entry in "${field}": ${JSON.stringify(bad.slice(0, 80))}`,
        { hint: `For example "${example}"` },
      );
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
    const name = appName(body?.name);
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
    let app = await d.catalog.createApp({ id, name });
    if (patch) app = (await d.catalog.updateApp(id, patch))!;
    d.log.info({ app: id }, defaultAppNotice(d.catalog, d.defaultApp, app));
    return c.json(appJson(d, app), 201);
  });
  r.get("/", (c) => c.json(d.catalog.apps().map((a) => appJson(d, a))));
  r.get("/:appId", (c) => c.json(appJson(d, mustApp(d, c.req.param("appId")))));
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
    return c.json(appJson(d, app!));
  });
  return r;
}

/**
 * An app as the API answers it: its record and `default`, true for the app `/functions/*`
 * serves when nothing else picks one (see `Catalog.defaultApp`).
 */
function appJson(d: ApiDeps, app: AppRecord): AppRecord & { default: boolean } {
  return { ...app, default: d.catalog.defaultApp(d.defaultApp)?.id === app.id };
}

/** The app, or a 404. */
export function mustApp(d: ApiDeps, id: string) {
  const app = d.catalog.app(id);
  if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${id}`);
  return app;
}
