import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import type { Context } from "hono";
import mime from "mime-types";
import { browserHosts } from "./guard.js";

/** A built asset's name: what Vite writes (`index-Bx3k9.js`), never a path. */
const ASSET = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;
/** The placeholder index.html carries where the server puts each answer's style nonce. */
const NONCE_PLACEHOLDER = "__FNBASE_CSP_NONCE__";

/**
 * The dashboard's policy: scripts only from its own built assets (not `'self'`, which would take
 * a script a function serves on the same origin; for each host name the browser may be using,
 * see `browserHosts`), styles from its assets and the `<style>`
 * elements its components make with this answer's nonce, requests only to its own origin, no
 * framing, no plugins, forms only to itself.
 */
export function dashboardCsp(hosts: Iterable<string>, nonce: string): string {
  const scripts: string[] = [];
  for (const h of hosts) {
    if (/^[A-Za-z0-9.:[\]-]+$/.test(h))
      scripts.push(`http://${h}/_/assets/`, `https://${h}/_/assets/`);
  }
  if (scripts.length === 0) scripts.push("'none'");
  return [
    "default-src 'none'",
    `script-src ${scripts.join(" ")}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** Headers on every answer under `/_/`: no framing, no sniffing, no referrer to elsewhere. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/**
 * Serves the built dashboard from `dir` (Vite's `dist/`): `assets/*` with a year's immutable
 * caching (their names carry a content hash), and `index.html` for every other page path
 * (the router is the browser's), never cached, with a fresh style nonce in its policy. A
 * missing build is a coded 404 saying how to build it.
 *
 * @example
 * const files = dashboardFiles(dashboardDir);
 * app.get("/_/assets/:file", (c) => files.asset(c, c.req.param("file")));
 */
export function dashboardFiles(dir: string, publicUrl?: string) {
  const cache = new Map<string, Buffer>();
  let index: string | undefined;
  const load = async (path: string): Promise<Buffer | undefined> => {
    let b = cache.get(path);
    if (b === undefined) {
      b = await readFile(path).catch(() => undefined);
      if (b === undefined) return undefined;
      cache.set(path, b);
    }
    return b;
  };
  return {
    async asset(c: Context, name: string): Promise<Response> {
      const body = ASSET.test(name) ? await load(join(dir, "assets", name)) : undefined;
      if (body === undefined) {
        throw new FnbaseError("NOT_FOUND", `No such dashboard file: ${name.slice(0, 100)}`);
      }
      return c.body(new Uint8Array(body), 200, {
        ...DASHBOARD_HEADERS,
        "content-type": mime.contentType(name) || "application/octet-stream",
        "cache-control": "public, max-age=31536000, immutable",
      });
    },
    async page(c: Context): Promise<Response> {
      index ??= (await load(join(dir, "index.html")))?.toString("utf8");
      if (index === undefined) {
        throw new FnbaseError("NOT_FOUND", "The dashboard is not built", {
          hint: "Run `npm run build` (or `npm install`) in the fnbase checkout",
        });
      }
      const nonce = randomBytes(16).toString("base64");
      return c.body(index.replaceAll(NONCE_PLACEHOLDER, nonce), 200, {
        ...DASHBOARD_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
        "content-security-policy": dashboardCsp(browserHosts(c, publicUrl), nonce),
      });
    },
  };
}
