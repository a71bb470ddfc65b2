/** The answers the front writes itself: fnbase's `{ error, code }` JSON. */

import type { Exchange } from "./http1.ts";
import type { Answer, Incoming } from "./message.ts";

const enc = new TextEncoder();
export const JSON_TYPE = "application/json; charset=utf-8";

/** An error answer with `body` (a JSON string) and `extra` headers. */
export function errorResponse(
  status: number,
  body: string,
  extra: [string, string][],
  close = false,
): Answer {
  return {
    status,
    headers: [["content-type", JSON_TYPE], ...extra],
    body: enc.encode(body),
    close,
  };
}

/** `{ error, code }` as JSON. */
export function errorBody(error: string, code: string): string {
  return JSON.stringify({ error, code });
}

/**
 * The answer to an exchange that failed because of its caller: a malformed body (400), or a
 * caller who left (499, recorded as such; nobody reads it). Undefined when the caller is not
 * the reason.
 */
export function callerFailure(
  req: Incoming,
  x: Exchange,
  err: unknown,
  headers: () => [string, string][],
): Answer | undefined {
  if (req.bodyFault === "malformed") {
    return errorResponse(400, errorBody((err as Error).message, "BAD_REQUEST"), headers(), true);
  }
  if (x.callerGone || req.bodyFault === "gone") {
    return { status: 499, headers: [], body: null, close: true };
  }
  return undefined;
}
