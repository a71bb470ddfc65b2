/**
 * The dashboard's one way to the server: the session routes (`/_/session`) and the relay
 * (`/_/api/...` stands for `/api/...`), with the session's CSRF token on every request. Errors
 * are the server's `{ error, code, hint }`, kept whole so pages can show them.
 */

/** An answer that was not a success, with what the server said. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, code: string, message: string, hint?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

let csrf: string | undefined;
let onSessionLost: () => void = () => {};

/** Sets the CSRF token of the signed-in session (from `GET/POST /_/session`). */
export function setCsrfToken(token: string | undefined): void {
  csrf = token;
}

/** The CSRF token of the signed-in session, if any. */
export function csrfToken(): string | undefined {
  return csrf;
}

/** Called when the server says the session is gone (signed out elsewhere, key revoked). */
export function whenSessionLost(cb: () => void): void {
  onSessionLost = cb;
}

/** The error a non-2xx answer stands for (its JSON body when it has one). */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const b = JSON.parse(text) as {
      error?: string;
      message?: string;
      code?: string;
      hint?: string;
    };
    return new ApiError(
      res.status,
      b.code ?? `HTTP_${res.status}`,
      b.error ?? b.message ?? (text || res.statusText),
      b.hint,
    );
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 300) || res.statusText);
  }
}

/** Options of {@link relayFetch}: a fetch init, plus a JSON body and who to act as. */
export interface RelayInit extends Omit<RequestInit, "body"> {
  body?: BodyInit | null;
  json?: unknown;
  /** `session` (default), `anonymous`, or `bearer` (with an Authorization header). */
  as?: "session" | "anonymous" | "bearer";
}

/**
 * A raw request through the relay (`path` is the API path without `/api`: `/apps`), for
 * streams and the invoke console. Throws only when the server cannot be reached.
 */
export async function relayFetch(path: string, init: RelayInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (csrf) headers.set("x-csrf-token", csrf);
  if (init.as && init.as !== "session") headers.set("x-fnbase-as", init.as);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`/_/api${path}`, {
    ...init,
    headers,
    body: body ?? null,
    credentials: "same-origin",
  });
  if (res.status === 401) {
    const copy = res.clone();
    const code = await copy
      .json()
      .then((b: { code?: string }) => b.code)
      .catch(() => undefined);
    if (code === "SESSION_REQUIRED") onSessionLost();
  }
  return res;
}

/** A JSON request through the relay; resolves with the answer's JSON or throws an {@link ApiError}. */
export async function api<T>(path: string, init: RelayInit = {}): Promise<T> {
  const res = await relayFetch(path, init);
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** `encodeURIComponent` of each `/`-separated part: function names may hold slashes. */
export function encodePath(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
