import type { AxiosError } from "axios";

/**
 * An error answer from the server to an `auth` call: HTTP status, error code, message and the
 * parsed body. (`functions.invoke` throws axios' own error instead, as `@base44/sdk` does.)
 *
 * @example
 * ```ts
 * try {
 *   await client.auth.me();
 * } catch (err) {
 *   if (err instanceof ApiError && err.status === 401) showLogin();
 * }
 * ```
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status, or `undefined` when no answer came (network failure). */
  readonly status: number | undefined;
  /** The server's error code, e.g. `"INVALID_TOKEN"`, when it sent one. */
  readonly code: string | undefined;
  /** The parsed response body. */
  readonly data: unknown;
  /** The axios error this one wraps. */
  readonly originalError: unknown;

  constructor(
    message: string,
    status: number | undefined,
    code: string | undefined,
    data: unknown,
    originalError?: unknown,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.data = data;
    this.originalError = originalError;
  }

  /** A JSON-safe summary, without the circular axios error. */
  toJSON(): { name: string; message: string; status?: number; code?: string; data: unknown } {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      code: this.code,
      data: this.data,
    };
  }
}

function pick(data: unknown, key: string): unknown {
  return data !== null && typeof data === "object"
    ? (data as Record<string, unknown>)[key]
    : undefined;
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * Turns an axios error into an {@link ApiError}. The message is read as `@base44/sdk` 0.8.50
 * reads it (`dist/utils/axios-client.js`): `error.message`, then `message`, then (fnbase's
 * `{ error, code, hint? }` and the Base44 dev server's `{ error }`) a string `error`, then
 * `detail`, then axios' own message. The code is `error.code`, else `code`.
 */
export function toApiError(error: AxiosError): ApiError {
  const data = error.response?.data;
  const nested = pick(data, "error");
  const message =
    text(pick(nested, "message")) ??
    text(pick(data, "message")) ??
    text(nested) ??
    text(pick(data, "detail")) ??
    error.message;
  const code = pick(nested, "code") ?? pick(data, "code");
  return new ApiError(
    message,
    error.response?.status,
    typeof code === "string" ? code : undefined,
    data,
    error,
  );
}

/**
 * The same class under `@base44/sdk`'s name, so `catch (e) { if (e instanceof Base44Error) ... }`
 * keeps working after the import changes.
 *
 * @example
 * ```ts
 * import { Base44Error } from "@fnbase/sdk";
 *
 * await client.auth.me().catch((e) => {
 *   if (e instanceof Base44Error) console.log(e.status, e.code);
 * });
 * ```
 */
export const Base44Error = ApiError;
/** The type of {@link Base44Error} instances (an {@link ApiError}). */
export type Base44Error = ApiError;
