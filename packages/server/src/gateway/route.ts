/** Where an invocation came in, before the app and function are known. */
export interface InvocationRoute {
  /** The app id named in the path (`/api/apps/{appId}/functions/...`), if any. */
  appId?: string;
  /** Decoded path segments after `functions/`. */
  segments: string[];
  /** The raw path up to and including `functions/`. */
  base: string;
  /** The raw path after `functions/`. */
  rest: string;
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
    const rest = m[2]!;
    return segments && { appId, segments, base: pathname.slice(0, -rest.length), rest };
  }
  m = API_ROUTE.exec(pathname) ?? PLAIN_ROUTE.exec(pathname);
  if (m) {
    const segments = splitDecoded(m[1]!);
    const rest = m[1]!;
    return segments && { segments, base: pathname.slice(0, -rest.length), rest };
  }
  return undefined;
}

/**
 * The raw path prefix that names function `name` in `route` (e.g. `/functions/orders` for
 * `/functions/orders/42` and `orders`), or undefined when the raw path spells it in a way a
 * plain prefix test would not see (an encoded slash). Every path under that prefix resolves to
 * `name` as long as no deployed function is nested under it (see the front's decisions).
 */
export function rawPrefix(route: InvocationRoute, name: string): string | undefined {
  const want = name.split("/");
  const raw = route.rest.split("/");
  let taken = 0;
  let i = 0;
  for (; i < raw.length && taken < want.length; i++) {
    if (raw[i] === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw[i]!);
    } catch {
      return undefined;
    }
    if (seg !== want[taken]) return undefined;
    taken++;
  }
  return taken === want.length ? route.base + raw.slice(0, i).join("/") : undefined;
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
