import { readFile } from "node:fs/promises";
import { FnbaseError } from "@fnbase/shared";
import { appPath } from "../core/app.js";

/** The options of `fnbase invoke`. */
export interface InvokeOptions {
  data?: string;
  dataFile?: string;
  method: string;
  path?: string;
  token?: string;
  asService?: boolean;
}

/**
 * The request `fnbase invoke` sends: `{method} /api/apps/{appId}/functions/{name}{path}` with
 * `X-App-Id`, like the SDK's `functions.invoke`. `asService` sends the API key as the bearer
 * (the gateway turns a `b44k_` key into the app's service role).
 *
 * @example
 * const { path, init } = await buildInvocation("app_1", "hello", { method: "POST", data: "{}" }, key);
 */
export async function buildInvocation(
  appId: string,
  name: string,
  o: InvokeOptions,
  apiKey: string,
): Promise<{ path: string; init: RequestInit }> {
  if (o.data !== undefined && o.dataFile !== undefined) {
    throw new FnbaseError("USAGE", "Cannot combine --data with --data-file");
  }
  if (o.token !== undefined && o.asService) {
    throw new FnbaseError("USAGE", "Cannot combine --token with --as-service");
  }
  const headers: Record<string, string> = { "x-app-id": appId };
  let body: string | undefined;
  if (o.data !== undefined) {
    try {
      JSON.parse(o.data);
    } catch {
      throw new FnbaseError("INVALID_JSON", `Invalid JSON in --data: ${o.data}`, {
        hint: `Quote it for the shell: --data '{"name":"Ada"}'`,
      });
    }
    body = o.data;
    headers["content-type"] = "application/json";
  } else if (o.dataFile !== undefined) {
    const bytes = await readFile(o.dataFile).catch(() => {
      throw new FnbaseError("USAGE", `Cannot read --data-file: ${o.dataFile}`);
    });
    body = bytes.toString("utf8");
    headers["content-type"] = isJson(body) ? "application/json" : "text/plain; charset=utf-8";
  }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.asService) {
    if (!apiKey.startsWith("b44k_")) {
      throw new FnbaseError("USAGE", "--as-service needs a b44k_ API key", {
        hint: "Log in with an admin or workspace key",
      });
    }
    headers.authorization = `Bearer ${apiKey}`;
  }
  const method = o.method.toUpperCase();
  if (body !== undefined && (method === "GET" || method === "HEAD")) {
    throw new FnbaseError("USAGE", `A ${method} request cannot have a body`, {
      hint: "Use --method POST",
    });
  }
  const sub = o.path ? `/${o.path.replace(/^\/+/, "")}` : "";
  const encoded = name.split("/").map(encodeURIComponent).join("/");
  return {
    path: `${appPath(appId)}/functions/${encoded}${sub}`,
    init: { method, headers, ...(body === undefined ? {} : { body }) },
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
