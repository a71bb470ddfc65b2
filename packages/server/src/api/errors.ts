import { FnbaseError, type Logger, toErrorResponse } from "@fnbase/shared";
import type { Context } from "hono";

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests deeper than `max` arrays and objects. Iterative: a body of 20,000
 * nested arrays parses fine but overflows the stack of any recursive walk (JSON.stringify too).
 */
export function nestedDeeper(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Reads a JSON body; a body that is not JSON, or nests too deep, is a coded 400. */
export async function readJson(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new FnbaseError("INVALID_JSON", "The request body is not valid JSON", {
      hint: "Send Content-Type: application/json with a JSON body",
    });
  }
  if (nestedDeeper(body, MAX_JSON_DEPTH)) {
    throw new FnbaseError(
      "INVALID_JSON",
      `The request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    );
  }
  return body;
}

/** The management API's one error handler: coded errors as they are, anything else a logged 500. */
export function onApiError(log: Logger) {
  return (err: Error, c: Context) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) log.error({ err, path: c.req.path }, "management API error");
    return c.json(body, status as 400);
  };
}
