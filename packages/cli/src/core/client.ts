import { ERROR_STATUS, type ErrorCode, FnbaseError, type SourceLocation } from "@fnbase/shared";
import type { Credentials } from "./credentials.js";

/** Options of one management request. */
export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Answer `NOT_AVAILABLE` when the server has no such route (features still being added). */
  feature?: string;
}

/**
 * A thin client for the management API: sends the key (`api_key` header for `b44k_` keys, as
 * the Base44 CLI does, else `Authorization: Bearer`) and turns error bodies into
 * {@link FnbaseError}s.
 *
 * @example
 * const api = new ApiClient(await resolveCredentials());
 * const apps = await api.request<App[]>("/api/apps");
 */
export class ApiClient {
  constructor(readonly creds: Credentials) {}

  /** The auth headers for the key. */
  authHeaders(): Record<string, string> {
    return this.creds.key.startsWith("b44k_")
      ? { api_key: this.creds.key }
      : { authorization: `Bearer ${this.creds.key}` };
  }

  /** Sends a request and returns the parsed JSON answer. */
  async request<T>(path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.raw(path, {
      method: o.method ?? (o.body === undefined ? "GET" : "POST"),
      headers: {
        ...this.authHeaders(),
        ...(o.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
    });
    if (!res.ok) throw await errorFromResponse(res, o.feature);
    const text = await res.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Sends a request to the server as is; only a network failure throws. */
  async raw(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.creds.server}${path}`;
    try {
      return await fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? String(err);
      throw new FnbaseError(
        "SERVER_UNREACHABLE",
        `Cannot reach the server at ${this.creds.server}: ${cause}`,
        {
          hint: "Start it with `fnbase server`, or check the URL with `fnbase whoami`",
        },
      );
    }
  }
}

/** Turns a non-2xx answer into an {@link FnbaseError}. */
export async function errorFromResponse(res: Response, feature?: string): Promise<FnbaseError> {
  const text = await res.text().catch(() => "");
  let body: { error?: unknown; code?: unknown; hint?: unknown; location?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {}
  const code =
    typeof body.code === "string" && body.code in ERROR_STATUS
      ? (body.code as ErrorCode)
      : undefined;
  if (
    feature &&
    (res.status === 404 || res.status === 405) &&
    (code === "NOT_FOUND" || code === undefined)
  ) {
    return new FnbaseError("NOT_AVAILABLE", `${feature} is not available on this server`, {
      hint: "Upgrade the fnbase server to a version that has it",
    });
  }
  const message =
    typeof body.error === "string"
      ? body.error
      : `The server answered ${res.status} ${res.statusText}`;
  let hint = typeof body.hint === "string" ? body.hint : undefined;
  if (res.status === 401 && hint === undefined) {
    hint = "Check your key with `fnbase whoami`, or run `fnbase login` again";
  } else if (res.status === 401) {
    hint = `${hint}; run \`fnbase login\` with a valid key`;
  }
  const location = sourceLocation(body.location);
  return new FnbaseError(code ?? statusCode(res.status), message, {
    ...(hint ? { hint } : {}),
    ...(location ? { location } : {}),
  });
}

/** An error body's `location`, when it has the shape the server sends. */
function sourceLocation(v: unknown): SourceLocation | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const { file, line, column } = v as Record<string, unknown>;
  return typeof file === "string" && typeof line === "number" && typeof column === "number"
    ? { file, line, column }
    : undefined;
}

function statusCode(status: number): ErrorCode {
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 503) return "SERVICE_UNAVAILABLE";
  return status >= 500 ? "UPSTREAM_ERROR" : "BAD_REQUEST";
}
