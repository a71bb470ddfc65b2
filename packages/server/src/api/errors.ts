import { Readable } from "node:stream";
import { FnbaseError, type Logger, toErrorResponse } from "@fnbase/shared";
import type { Context } from "hono";

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests deeper than `max` arrays and objects. Iterative: a body of 20,000
 * nested arrays parses fine but overflows the stack of any recursive walk (JSON.stringify too).
 */
export function nestedDeeper(value: unknown, max: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return true;
    if (Array.isArray(v)) {
      for (const child of v) {
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const k in v) {
        const child = (v as Record<string, unknown>)[k];
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/**
 * The request's body as text: read from Node's request stream when nothing has read it yet
 * (the body limit judged it by its Content-Length), which skips the web Request and stream
 * around it; else through the web Request (a streamed body the limit has counted, or a request
 * made in process with `app.request()`).
 */
async function bodyText(c: Context): Promise<string> {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof Readable && !incoming.readableDidRead && !incoming.readableEnded) {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  return await c.req.text();
}

/** Reads a JSON body; a body that is not JSON, or nests too deep, is a coded 400. */
export async function readJson(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(await bodyText(c));
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
