/** A browser's side of the dashboard, in Node: its cookie, its CSRF token and its Origin. */
import type { TestServer } from "../helpers.js";

export interface DashboardClient {
  /** The session cookie as the browser would send it (`name=value`). */
  cookie: string;
  csrf: string;
  /** A request to the dashboard as its own page would send it: cookie, Origin, CSRF token. */
  call(path: string, init?: RequestInit): Promise<Response>;
}

/** `name=value` of the first Set-Cookie of an answer. */
export function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie()[0];
  if (!set) throw new Error("No Set-Cookie in the answer");
  return set.split(";")[0]!;
}

/** Signs in with `body` as the dashboard's page does; throws unless 201. */
export async function signIn(t: TestServer, body: object): Promise<DashboardClient> {
  const res = await fetch(`${t.url}/_/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: t.url, "sec-fetch-site": "same-origin" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`Sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = cookieOf(res);
  const { csrf_token: csrf } = (await res.json()) as { csrf_token: string };
  return {
    cookie,
    csrf,
    call(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("cookie", cookie);
      if (!headers.has("origin")) headers.set("origin", t.url);
      if (!headers.has("x-csrf-token")) headers.set("x-csrf-token", csrf);
      if (typeof init.body === "string" && !headers.has("content-type")) {
        headers.set("content-type", "application/json");
      }
      return fetch(`${t.url}${path}`, { ...init, headers });
    },
  };
}
