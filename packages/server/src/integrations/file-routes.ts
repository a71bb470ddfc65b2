import type { Hono } from "hono";
import { appOf } from "../identity/caller.js";
import type { IntegrationDeps } from "./deps.js";

/**
 * `GET`/`HEAD /api/apps/{appId}/files/{public|private}/{id}/{name}`: the links `UploadFile`
 * and `CreateFileSignedUrl` answer. No token: a public link is its own permission, a private
 * one carries its signature. The name in the path is for people and browsers; the file is the id.
 *
 * @example
 * fileRoutes(api, deps);
 */
export function fileRoutes(api: Hono, d: IntegrationDeps): void {
  const serve = (path: string) =>
    api.on(["GET", "HEAD"], path, async (c) => {
      const app = appOf(d.identity, c);
      return await d.files.serve(
        app.id,
        c.req.param("visibility") ?? "",
        c.req.param("id") ?? "",
        c.req.raw,
        (name) => c.req.query(name),
      );
    });
  serve("/api/apps/:appId/files/:visibility/:id/:name{.+}");
  serve("/api/apps/:appId/files/:visibility/:id");
}
