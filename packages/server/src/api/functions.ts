import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { mustApp } from "./apps.js";
import type { ApiDeps } from "./context.js";
import { readJson } from "./errors.js";

/** The function name in a route: URL-decoded, may hold `/`. */
function nameParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new FnbaseError("INVALID_NAME", `Invalid function name in the URL: ${raw}`);
  }
}

/** `/api/apps/{appId}/backend-functions...`: deploy, delete, list, history, rollback. */
export function functionsRoutes(d: ApiDeps): Hono {
  const r = new Hono();
  const limit = bodyLimit({
    // JSON escaping can double the size of the files; the deployer checks the files' own size.
    maxSize: d.maxUploadBytes * 2 + 64 * 1024,
    onError: () => {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `The upload is over the limit of ${d.maxUploadBytes} bytes`,
      );
    },
  });

  r.get("/:appId/backend-functions", async (c) => {
    const app = mustApp(d, c.req.param("appId"));
    const out = [];
    const automations = await d.automations?.(app.id);
    for (const f of d.catalog.functions(app.id).values()) {
      const dep = await d.catalog.store.getDeployment(f.deployment_id);
      if (!dep) continue;
      out.push({
        name: f.name,
        deployment_id: f.deployment_id,
        entry: dep.entry,
        files: dep.files,
        // Always an array: the Base44 CLI refuses a list without it.
        automations: automations ? (automations.get(f.name) ?? []) : (dep.automations ?? []),
        timeout_seconds: f.timeout_ms === null ? null : f.timeout_ms / 1000,
        memory_mb: f.memory_mb,
        updated_date: f.updated_date,
      });
    }
    out.sort((a, b) => (a.name < b.name ? -1 : 1));
    return c.json({ functions: out });
  });

  r.get("/:appId/backend-functions/:name{.+}/deployments", async (c) => {
    const app = mustApp(d, c.req.param("appId"));
    const name = nameParam(c.req.param("name"));
    const f = d.catalog.fn(app.id, name);
    if (!f) throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "${name}"`);
    const history = await d.catalog.store.listDeployments(app.id, name, d.keepDeployments + 1);
    return c.json({
      deployments: history.map((h) => ({
        id: h.id,
        content_hash: h.content_hash,
        created_date: h.created_date,
        current: h.id === f.deployment_id,
        files: h.files.length,
      })),
    });
  });

  r.post("/:appId/backend-functions/:name{.+}/rollback", async (c) => {
    const app = mustApp(d, c.req.param("appId"));
    const name = nameParam(c.req.param("name"));
    const text = await c.req.text();
    let deploymentId: string | undefined;
    if (text.trim() !== "") {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new FnbaseError("INVALID_JSON", "The request body is not valid JSON");
      }
      const id = (body as { deployment_id?: unknown } | null)?.deployment_id;
      if (id !== undefined && typeof id !== "string")
        throw new FnbaseError("BAD_REQUEST", '"deployment_id" must be a string');
      deploymentId = id;
    }
    const f = await d.deployer.rollback(app.id, name, deploymentId);
    return c.json({ status: "rolled_back", name, deployment_id: f.deployment_id });
  });

  // `PUT backend-functions/` names no function: a 400 like any other bad name, not a 404.
  r.put("/:appId/backend-functions/", (c) => {
    mustApp(d, c.req.param("appId"));
    throw new FnbaseError("INVALID_NAME", 'Invalid function name "": name is empty');
  });

  r.put("/:appId/backend-functions/:name{.+}", limit, async (c) => {
    const app = mustApp(d, c.req.param("appId"));
    const result = await d.deployer.deploy(
      app.id,
      nameParam(c.req.param("name")),
      await readJson(c),
    );
    return c.json(result);
  });

  r.delete("/:appId/backend-functions/:name{.+}", async (c) => {
    const app = mustApp(d, c.req.param("appId"));
    const name = nameParam(c.req.param("name"));
    if (!(await d.deployer.remove(app.id, name))) {
      throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "${name}"`);
    }
    return c.json({ success: true, name });
  });
  return r;
}
