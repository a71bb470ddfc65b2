import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Context, Hono } from "hono";
import { readJson } from "../api/errors.js";
import type { Catalog } from "../catalog.js";
import type { UserService } from "../identity/index.js";
import {
  checkOrigin,
  clearSessionCookie,
  requireSession,
  sessionOf,
  setSessionCookie,
} from "./guard.js";
import { relay } from "./relay.js";
import {
  SESSION_MAX_AGE_MS,
  type Session,
  type SessionCredential,
  type SessionStore,
} from "./sessions.js";
import { DASHBOARD_HEADERS, dashboardFiles } from "./static.js";

/** What the dashboard's routes work with. */
export interface DashboardDeps {
  /** The built dashboard (`@fnbase/dashboard`'s `dashboardDir`). */
  dir: string;
  sessions: SessionStore;
  catalog: Catalog;
  users: UserService;
  /** True for the admin key or a live workspace key. */
  isApiKey: (key: string) => Promise<boolean>;
  isAdminKey: (key: string) => boolean;
  /** The server's own URL, where the relay sends what it passes on. */
  url: () => string;
  /** The public URL, when the operator set one (an https one marks the cookie Secure). */
  publicUrl: string | undefined;
  log: Logger;
}

/** What `GET /_/session` answers: who is signed in and the token every request must carry. */
function sessionJson(s: Session) {
  const c = s.credential;
  return {
    csrf_token: s.csrf,
    kind: c.kind,
    admin: c.kind === "key" && c.admin,
    ...(c.kind === "key"
      ? { key_prefix: c.prefix }
      : { app_id: c.appId, user: { id: c.userId, email: c.email } }),
    expires_at: new Date(s.created + SESSION_MAX_AGE_MS).toISOString(),
  };
}

/**
 * Whether the session's credential still holds: a key still live (a revoked key ends every
 * session made with it), a user still an admin of their app. A session that fails ends.
 */
async function stillValid(d: DashboardDeps, s: Session): Promise<boolean> {
  const c = s.credential;
  let ok: boolean;
  if (c.kind === "key") ok = d.isAdminKey(c.key) || (await d.isApiKey(c.key));
  else {
    const user = d.catalog.app(c.appId) ? await d.users.get(c.appId, c.userId) : undefined;
    ok = user?.role === "admin";
  }
  if (!ok) d.sessions.end(s);
  return ok;
}

const ended = () =>
  new FnbaseError(
    "SESSION_REQUIRED",
    "This dashboard session has ended: its credential no longer holds",
    {
      hint: "The API key was revoked or the user is no longer an admin: sign in again",
    },
  );

/** Reads of the session answer only the dashboard's own pages (when the browser says who asks). */
function sameOriginRead(c: Context): void {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin") {
    throw new FnbaseError("CSRF_FAILED", `Refused a ${site} read of the dashboard session`);
  }
}

/** Checks sign-in input and makes the session's credential. */
async function signIn(d: DashboardDeps, body: unknown): Promise<SessionCredential> {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.code === "string") {
    const credential = d.sessions.redeem(b.code);
    if (!credential) {
      throw new FnbaseError("UNAUTHORIZED", "This sign-in link was used already or has expired", {
        hint: "Restart `fnbase dev` for a new one, or sign in with an API key",
      });
    }
    return credential;
  }
  if (typeof b.api_key === "string") {
    const key = b.api_key.trim();
    const admin = key !== "" && d.isAdminKey(key);
    if (!admin && !(key.startsWith("b44k_") && (await d.isApiKey(key)))) {
      throw new FnbaseError("UNAUTHORIZED", "Invalid API key", {
        hint: "Use the admin key the server printed at first start, or a workspace key (b44k_...)",
      });
    }
    return { kind: "key", key, admin, prefix: key.slice(0, 12) };
  }
  if (typeof b.app_id === "string" && typeof b.email === "string") {
    const app = d.catalog.app(b.app_id);
    if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${b.app_id.slice(0, 80)}`);
    const { access_token, user } = await d.users.login(app.id, {
      email: b.email,
      password: b.password,
    });
    if (user.role !== "admin") {
      throw new FnbaseError("FORBIDDEN", "Only the app's admins may sign in to the dashboard", {
        hint: "An admin or the API key's holder can make this user an admin (Users page)",
      });
    }
    return { kind: "user", appId: app.id, userId: user.id, email: user.email, token: access_token };
  }
  throw new FnbaseError("BAD_REQUEST", "Send { api_key }, { app_id, email, password } or { code }");
}

/**
 * The dashboard under `/_/`: its pages and assets, its session (`GET/POST/DELETE /_/session`),
 * and its relay to the API (`/_/api/*`, see relay.ts). The Base44 CLI's links
 * (`/apps/{appId}/editor/...`) redirect to the app's page.
 *
 * @example
 * mountDashboard(api, { dir: dashboardDir, sessions: new SessionStore(), ... });
 */
export function mountDashboard(api: Hono, d: DashboardDeps): void {
  const files = dashboardFiles(d.dir, d.publicUrl);
  const guardHeaders = async (c: Context, next: () => Promise<void>) => {
    await next();
    for (const [k, v] of Object.entries(DASHBOARD_HEADERS)) {
      if (!c.res.headers.has(k)) c.res.headers.set(k, v);
    }
  };
  api.use("/_/session", guardHeaders);

  api.get("/_/session", async (c) => {
    sameOriginRead(c);
    c.header("cache-control", "no-store");
    const s = sessionOf(c, d.sessions);
    if (!s) throw new FnbaseError("SESSION_REQUIRED", "Not signed in to the dashboard");
    if (!(await stillValid(d, s))) {
      clearSessionCookie(c);
      throw ended();
    }
    return c.json(sessionJson(s));
  });

  api.post("/_/session", async (c) => {
    checkOrigin(c, d.publicUrl);
    c.header("cache-control", "no-store");
    const credential = await signIn(d, await readJson(c));
    // A new id at every sign-in: no session fixation.
    const old = sessionOf(c, d.sessions);
    if (old) d.sessions.end(old);
    const s = d.sessions.create(credential);
    setSessionCookie(c, s, d.publicUrl);
    d.log.info(
      credential.kind === "key"
        ? { key: credential.prefix, admin: credential.admin }
        : { app: credential.appId, user: credential.userId },
      "dashboard sign-in",
    );
    return c.json(sessionJson(s), 201);
  });

  api.delete("/_/session", (c) => {
    checkOrigin(c, d.publicUrl);
    const s = requireSession(c, d.sessions);
    d.sessions.end(s);
    clearSessionCookie(c);
    return c.json({ success: true });
  });

  api.all("/_/api/*", async (c) => {
    checkOrigin(c, d.publicUrl);
    const s = requireSession(c, d.sessions);
    if (!(await stillValid(d, s))) {
      clearSessionCookie(c);
      throw ended();
    }
    return await relay(c, s, d.url);
  });

  api.get("/_/assets/:file", (c) => files.asset(c, c.req.param("file")));
  api.get("/_", (c) => c.redirect("/_/", 308));
  api.get("/_/*", (c) => files.page(c));

  // The Base44 CLI prints `{server}/apps/{appId}/editor/workspace/overview` after a deploy.
  const toApp = (c: Context) => {
    const id = c.req.param("appId") ?? "";
    return c.redirect(`/_/apps/${encodeURIComponent(id)}`, 302);
  };
  api.get("/apps/:appId", toApp);
  api.get("/apps/:appId/*", toApp);
}
