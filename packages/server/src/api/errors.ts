import { FnbaseError, type Logger, toErrorResponse } from "@fnbase/shared";
import type { Context } from "hono";

/** Reads a JSON body; a body that is not JSON is a coded 400. */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new FnbaseError("INVALID_JSON", "The request body is not valid JSON", {
      hint: "Send Content-Type: application/json with a JSON body",
    });
  }
}

/** The management API's one error handler: coded errors as they are, anything else a logged 500. */
export function onApiError(log: Logger) {
  return (err: Error, c: Context) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) log.error({ err, path: c.req.path }, "management API error");
    return c.json(body, status as 400);
  };
}
