import { createClient, type FnbaseClient } from "./client.js";

/**
 * The part of a request {@link createClientFromRequest} reads: its headers (and its URL, as a
 * fallback for the server's address).
 *
 * @example
 * ```ts
 * const like: RequestLike = { headers: new Headers({ "Base44-App-Id": "app_123" }) };
 * ```
 */
export interface RequestLike {
  headers: { get(name: string): string | null };
  url?: string;
}

function bearer(header: string, value: string | null): string | undefined {
  if (value === null) return undefined;
  const match = /^Bearer (\S+)$/.exec(value);
  if (match) return match[1];
  // Describe the value without echoing it: it may hold a secret.
  const scheme = /^(\S+) /.exec(value)?.[1];
  const got =
    value === ""
      ? "an empty value"
      : scheme === "Bearer"
        ? "a blank token or more than one"
        : scheme
          ? `scheme "${scheme}"`
          : "a value without a scheme";
  throw new Error(`Invalid ${header} header: expected "Bearer <token>", got ${got}`);
}

/**
 * Creates a client inside a function from the request the host handed it: it acts as the
 * caller (`Authorization`, absent for anonymous callers), and `asServiceRole` acts as the app
 * (`Base44-Service-Authorization`). The server is `Base44-Api-Url`, else the request's origin.
 * Throws when `Base44-App-Id` is missing or an auth header is not exactly `Bearer <token>`.
 *
 * @example
 * ```ts
 * import { createClientFromRequest } from "@fnbase/sdk";
 *
 * Deno.serve(async (req) => {
 *   const client = createClientFromRequest(req);
 *   const { data } = await client.asServiceRole.functions.invoke("orders/process", { id: 1 });
 *   return Response.json(data);
 * });
 * ```
 */
export function createClientFromRequest(request: RequestLike): FnbaseClient {
  const { headers } = request;
  const appId = headers.get("Base44-App-Id");
  if (!appId) {
    throw new Error(
      "Cannot create a client from the request: the Base44-App-Id header is missing (is this code running inside a function on fnbase?)",
    );
  }
  const token = bearer("Authorization", headers.get("Authorization"));
  const serviceToken = bearer(
    "Base44-Service-Authorization",
    headers.get("Base44-Service-Authorization"),
  );
  const serverUrl = headers.get("Base44-Api-Url") || originOf(request.url);
  const forwarded: Record<string, string> = {};
  const state = headers.get("Base44-State");
  if (state) forwarded["Base44-State"] = state;
  return createClient({
    appId,
    serverUrl,
    token,
    serviceToken,
    functionsVersion: headers.get("Base44-Functions-Version") ?? undefined,
    headers: forwarded,
    storage: false,
  });
}

function originOf(url: string | undefined): string {
  try {
    if (url) return new URL(url).origin;
  } catch {
    // not an absolute URL
  }
  throw new Error(
    "Cannot create a client from the request: the Base44-Api-Url header is missing and the request URL has no origin",
  );
}
