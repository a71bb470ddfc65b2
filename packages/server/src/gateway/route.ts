/** Where an invocation came in, before the app and function are known. */
export interface InvocationRoute {
  /** The app id named in the path (`/api/apps/{appId}/functions/...`), if any. */
  appId?: string;
  /** Decoded path segments after `functions/`. */
  segments: string[];
}

const APP_ROUTE = /^\/api\/apps\/([^/]+)\/functions\/(.+)$/;
const API_ROUTE = /^\/api\/functions\/(.+)$/;
const PLAIN_ROUTE = /^\/functions\/(.+)$/;

function splitDecoded(rest: string): string[] | undefined {
  try {
    return decodeURIComponent(rest)
      .split("/")
      .filter((s) => s !== "");
  } catch {
    return undefined;
  }
}

/**
 * Matches the three invocation routes: `/api/apps/{appId}/functions/{name}[/...]`,
 * `/api/functions/{name}[/...]` and `/functions/{name}[/...]`. Returns undefined for any other
 * path (the management API's).
 */
export function matchInvocation(pathname: string): InvocationRoute | undefined {
  let m = APP_ROUTE.exec(pathname);
  if (m) {
    const segments = splitDecoded(m[2]!);
    let appId: string;
    try {
      appId = decodeURIComponent(m[1]!);
    } catch {
      return undefined;
    }
    return segments && { appId, segments };
  }
  m = API_ROUTE.exec(pathname) ?? PLAIN_ROUTE.exec(pathname);
  if (m) {
    const segments = splitDecoded(m[1]!);
    return segments && { segments };
  }
  return undefined;
}

/**
 * The longest deployed function name that prefixes the path: with `orders` and
 * `orders/process` deployed, `orders/process/42` goes to `orders/process`.
 */
export function resolveFunctionName(
  segments: string[],
  has: (name: string) => boolean,
): string | undefined {
  for (let i = segments.length; i > 0; i--) {
    const name = segments.slice(0, i).join("/");
    if (has(name)) return name;
  }
  return undefined;
}
