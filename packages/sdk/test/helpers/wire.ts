import type { Recorded } from "./recorder.js";

/** A recorded request as a comparable value. */
export interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, unknown>;
  body: unknown;
}

/**
 * The request as a comparable value: the query decoded, a JSON body parsed, a multipart body as
 * `[name, value]` pairs (files as `{ name, type, text }`); the multipart boundary, which is
 * random, and the length that depends on it are left out.
 */
export async function seenRequest(request: Recorded): Promise<Seen> {
  const url = new URL(request.url, "http://x");
  const headers: Record<string, unknown> = { ...request.headers };
  const type = String(headers["content-type"] ?? "");
  let body: unknown;
  if (type.startsWith("multipart/form-data")) {
    const form = await new Response(new Uint8Array(request.body), {
      headers: { "content-type": type },
    }).formData();
    body = await Promise.all(
      [...form].map(async ([name, value]) => [
        name,
        typeof value === "string"
          ? value
          : { name: value.name, type: value.type, text: await value.text() },
      ]),
    );
    headers["content-type"] = "multipart/form-data";
    delete headers["content-length"];
  } else {
    body = request.body.length ? JSON.parse(request.body.toString()) : undefined;
  }
  return {
    method: request.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  };
}
