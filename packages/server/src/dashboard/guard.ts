import { FnbaseError } from "@fnbase/shared";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrfMatches, SESSION_MAX_AGE_MS, type Session, type SessionStore } from "./sessions.js";

/** The session cookie's name. Scoped to the dashboard's path, so no other route ever gets it. */
export const SESSION_COOKIE = "fnbase_dashboard";
/** The header every request of a session carries its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";
const COOKIE_PATH = "/_/";

const SAFE = new Set(["GET", "HEAD"]);

/**
 * The host names (with port) a browser may be reaching the dashboard at: the request's Host,
 * the `X-Forwarded-Host` a reverse proxy sets when it rewrites Host, and the public URL's. A
 * browser page on another site can set neither header on a form post, and a request that sets
 * them with `fetch` is preflighted, which the dashboard never grants.
 */
export function browserHosts(c: Context, publicUrl: string | undefined): Set<string> {
  const hosts = new Set<string>();
  const host = c.req.header("host");
  if (host) hosts.add(host.toLowerCase());
  const forwarded = c.req.header("x-forwarded-host")?.split(",")[0]?.trim();
  if (forwarded) hosts.add(forwarded.toLowerCase());
  if (publicUrl) {
    try {
      hosts.add(new URL(publicUrl).host);
    } catch {
      // not a URL: the server refuses such a setting at start
    }
  }
  return hosts;
}

/**
 * Refuses a change that does not come from a page of this very origin: `Sec-Fetch-Site`, when
 * the browser sends it, must be `same-origin`, and `Origin` (which browsers send with every
 * request that is not a GET or HEAD) must name the host the request was sent to
 * ({@link browserHosts}). A form on
 * another site, a page a function serves in its sandbox (origin `null`) and a request without
 * an Origin are all refused with `CSRF_FAILED`. Reads (GET, HEAD) pass here; the session's
 * token guards them in {@link requireSession}.
 */
export function checkOrigin(c: Context, publicUrl?: string): void {
  if (SAFE.has(c.req.method)) return;
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin") {
    throw new FnbaseError("CSRF_FAILED", `Refused a ${site} request to the dashboard`, {
      hint: "The dashboard takes changes only from its own pages",
    });
  }
  const origin = c.req.header("origin");
  let ok = false;
  if (origin !== undefined && origin !== "null") {
    try {
      const u = new URL(origin);
      ok =
        (u.protocol === "http:" || u.protocol === "https:") &&
        browserHosts(c, publicUrl).has(u.host);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new FnbaseError(
      "CSRF_FAILED",
      `Refused a change to the dashboard from origin ${JSON.stringify(origin ?? null)}`,
      { hint: "The dashboard takes changes only from its own pages (same Origin as Host)" },
    );
  }
}

/**
 * The request's live session, else `SESSION_REQUIRED`; with it, the session's CSRF token in
 * `X-CSRF-Token`, else `CSRF_FAILED`. Required on every request of a session, reads included,
 * so nothing but the dashboard's own script (which read the token from `GET /_/session`) can
 * use the cookie.
 */
export function requireSession(c: Context, sessions: SessionStore): Session {
  const session = sessions.get(getCookie(c, SESSION_COOKIE));
  if (!session) {
    throw new FnbaseError("SESSION_REQUIRED", "Not signed in to the dashboard", {
      hint: "Sign in again at /_/",
    });
  }
  if (!csrfMatches(session, c.req.header(CSRF_HEADER))) {
    throw new FnbaseError("CSRF_FAILED", "Missing or wrong CSRF token", {
      hint: "Send the csrf_token of GET /_/session in the X-CSRF-Token header",
    });
  }
  return session;
}

/** The session of the request's cookie, if it is live (no token check: for `GET /_/session`). */
export function sessionOf(c: Context, sessions: SessionStore): Session | undefined {
  return sessions.get(getCookie(c, SESSION_COOKIE));
}

/** Whether the browser reached the server over TLS (a reverse proxy in front says so). */
function secure(c: Context, publicUrl: string | undefined): boolean {
  return c.req.header("x-forwarded-proto") === "https" || (publicUrl ?? "").startsWith("https://");
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/_/, Secure over TLS. */
export function setSessionCookie(c: Context, session: Session, publicUrl?: string): void {
  setCookie(c, SESSION_COOKIE, session.id, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Strict",
    secure: secure(c, publicUrl),
    maxAge: Math.floor(SESSION_MAX_AGE_MS / 1000),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
}
