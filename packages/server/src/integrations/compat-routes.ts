import { FnbaseError } from "@fnbase/shared";
import type { Context, Hono } from "hono";
import { PAGE_HEADERS, resultPage } from "../identity/account-pages.js";
import { actorOf, appOf } from "../identity/caller.js";
import type { IntegrationDeps } from "./deps.js";

/**
 * True when `url` is on an origin an app allows (its `cors_origins`, not `*`) or on one of its
 * domains: the only places logout sends a browser back to, so it is no open redirect.
 */
function isAppOrigin(d: IntegrationDeps, url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return false;
  return d.catalog
    .apps()
    .some((app) => app.cors_origins.includes(u.origin) || app.domains.includes(u.hostname));
}

/**
 * The other routes `@base44/sdk` 0.8.50 can call by itself or through a module, each answered
 * or refused with a coded error (docs/COMPATIBILITY.md lists them all):
 *
 * - `GET /api/apps/public/prod/public-settings/by-id/{appId}` (`app.getPublicSettings`):
 *   `{ id, public_settings: "public_with_login" }`: anyone may register and sign in.
 * - `POST /api/app-logs/{appId}/log-user-in-app/{page}` (`appLogs.logUserInApp`, which Base44
 *   frontends call on every page change): kept as the analytics event `page_view`.
 * - `GET /api/apps/auth/logout?from_url=` (`auth.logout()` in a browser): back to `from_url`
 *   when it is on an app's origin or domain, else a "signed out" page.
 * - actors' connection tokens: 404 (the SDK stops retrying on 404; a 501 would make it retry
 *   for ever); agents, the AI gateway, connectors, SSO, OAuth logins and app-log reads: 501
 *   NOT_AVAILABLE with a hint.
 *
 * @example
 * compatRoutes(api, deps);
 */
export function compatRoutes(api: Hono, d: IntegrationDeps): void {
  const app = (c: Context) => appOf(d.identity, c);
  const refuse = (what: string, hint: string) => (c: Context) => {
    if (c.req.param("appId") !== undefined) app(c);
    throw new FnbaseError("NOT_AVAILABLE", `${what} not available on fnbase`, { hint });
  };

  api.get("/api/apps/public/prod/public-settings/by-id/:appId", (c) =>
    c.json({ id: app(c).id, public_settings: "public_with_login" }),
  );

  api.post("/api/app-logs/:appId/log-user-in-app/:page", async (c) => {
    const { id } = app(c);
    const actor = await actorOf(d.identity, id, (name) => c.req.header(name)).catch(
      () => ({ kind: "anonymous" }) as const,
    );
    d.analytics.insert(id, d.now(), [
      {
        event_name: "page_view",
        timestamp: new Date(d.now()).toISOString(),
        user_id: actor.kind === "user" ? actor.user.id : null,
        session_id: null,
        page_url: null,
        properties: { page: c.req.param("page").slice(0, 256) },
      },
    ]);
    return c.json({ success: true });
  });
  api.get(
    "/api/app-logs/:appId/*",
    refuse("App usage logs are", "Read analytics with GET /api/apps/{appId}/analytics/events"),
  );
  api.get(
    "/api/app-logs/:appId",
    refuse("App usage logs are", "Read analytics with GET /api/apps/{appId}/analytics/events"),
  );

  api.post("/api/apps/:appId/actors/*", (c) => {
    app(c);
    throw new FnbaseError("NOT_FOUND", "Actors are not available on fnbase", {
      hint: "Use realtime subscriptions or a function instead",
    });
  });
  api.all(
    "/api/apps/:appId/agents/*",
    refuse("AI agents are", "Call Core.InvokeLLM from a function"),
  );
  api.all(
    "/api/apps/:appId/ai/*",
    refuse("The AI gateway is", "Call Core.InvokeLLM, which uses the server's LLM endpoint"),
  );
  const connectors = refuse(
    "Connectors (OAuth tokens of outside services) are",
    "Keep the service's API key as a secret and call it from a function",
  );
  api.all("/api/apps/:appId/connectors/*", connectors);
  api.all("/api/apps/:appId/external-auth/*", connectors);
  api.all("/api/apps/:appId/app-user-auth/*", connectors);
  api.all(
    "/api/apps/:appId/auth/sso/*",
    refuse("Single sign-on is", "Sign users in with email and password"),
  );
  // `auth.logout()` in a browser goes to this page; the SDK has already dropped the token.
  api.get("/api/apps/auth/logout", (c) => {
    const from = c.req.query("from_url");
    if (from !== undefined && isAppOrigin(d, from)) return c.redirect(from, 302);
    return c.html(resultPage("Signed out", "You are signed out."), 200, PAGE_HEADERS);
  });
  api.all(
    "/api/apps/auth/*",
    refuse(
      "Sign-in through outside providers (Google, Microsoft...) is",
      "Sign users in with email and password (auth.loginViaEmailPassword)",
    ),
  );
}
