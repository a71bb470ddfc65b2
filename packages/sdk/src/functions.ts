import type { AxiosInstance, AxiosResponse } from "axios";
import { encodeInvokeBody } from "./form-data.js";
import { encodeName, joinUrl } from "./http.js";
import type { FunctionName } from "./registry.js";

/**
 * Calls the app's backend functions. `client.functions` acts as the signed-in user (or
 * anonymously); `client.asServiceRole.functions` acts as the app's service role.
 *
 * @example
 * ```ts
 * const { data } = await client.functions.invoke("process-order", { orderId: 42 });
 * const res = await client.functions.fetch("/reports/export", { method: "GET" });
 * ```
 */
export interface FunctionsModule {
  /**
   * Calls a function with a POST of `data`: as JSON, or as `multipart/form-data` when a value
   * is a `File` or `Blob` (a `FormData` goes as it is). Resolves with the raw axios response;
   * a non-2xx answer rejects with axios' error, the function's body at `err.response.data`.
   *
   * @example
   * ```ts
   * const { data } = await client.functions.invoke("resize", { image: file, width: 200 });
   * ```
   */
  // biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk, whose invoke resolves to any
  invoke<T = any>(
    name: FunctionName,
    data?: Record<string, unknown> | FormData,
  ): Promise<AxiosResponse<T>>;

  /**
   * A native `fetch` to `{serverUrl}/api/functions/{path}` with the client's credentials added
   * (headers in `init` win). Any method; the `Response` body streams as the function writes.
   *
   * @example
   * ```ts
   * const res = await client.functions.fetch("/chat", { method: "POST", body: "hi" });
   * for await (const chunk of res.body!) process(chunk);
   * ```
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** What a functions module needs from its client. */
export interface FunctionsModuleOptions {
  http: AxiosInstance;
  appId: string;
  serverUrl: string;
  /** Headers for every call: the app id, custom headers, the functions version. */
  headers: Record<string, string>;
  /** The bearer token to send now, if any. */
  token: () => string | undefined;
}

/** Creates the functions module of one client and role. */
export function createFunctionsModule(options: FunctionsModuleOptions): FunctionsModule {
  const { http, appId, serverUrl, headers, token } = options;
  const auth = (): Record<string, string> => {
    const current = token();
    return current ? { Authorization: `Bearer ${current}` } : {};
  };
  return {
    invoke(functionName, data) {
      const name: string = functionName;
      if (typeof name !== "string" || name === "") {
        return Promise.reject(
          new TypeError(`Cannot invoke a function: name must be a non-empty string: ${name}`),
        );
      }
      let encoded: ReturnType<typeof encodeInvokeBody>;
      try {
        encoded = encodeInvokeBody(name, data);
      } catch (error) {
        return Promise.reject(error);
      }
      return http.post(
        `/apps/${encodeURIComponent(appId)}/functions/${encodeName(name)}`,
        encoded.body,
        {
          headers: { "Content-Type": encoded.contentType, ...auth() },
        },
      );
    },
    fetch(path, init = {}) {
      const merged = new Headers({ ...headers, ...auth() });
      new Headers(init.headers).forEach((value, key) => {
        merged.set(key, value);
      });
      const url = joinUrl(serverUrl, `/api/functions/${path.replace(/^\/+/, "")}`);
      return globalThis.fetch(url, { ...init, headers: merged });
    },
  };
}
