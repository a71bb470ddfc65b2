/**
 * The one error module of fnbase. Every failure a user can cause has a code, an HTTP status,
 * a message that says what went wrong (with the offending value) and, where useful, a hint
 * that says what to do. The gateway turns these into `{ error, code, hint? }` responses, the
 * CLI into a one-line message and an exit code.
 */

/** Every error code fnbase answers with, mapped to its HTTP status. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  /** CLI: wrong or conflicting command-line arguments. */
  USAGE: 400,
  /** CLI: the folder is not linked to an app and no `--app-id` was given. */
  NOT_LINKED: 400,
  INVALID_JSON: 400,
  INVALID_NAME: 400,
  INVALID_PATH: 400,
  DUPLICATE_PATH: 400,
  ENTRY_NOT_FOUND: 400,
  INVALID_SECRET_NAME: 400,
  INVALID_QUERY: 400,
  /** An entity schema the server refuses (the message names entity and field). */
  INVALID_SCHEMA: 400,
  /** An automation the server refuses (the message names the automation and its field). */
  INVALID_AUTOMATION: 400,
  PROJECT_INVALID: 400,
  /**
   * A function's code that cannot start: a syntax error, an import of a file that is not in the
   * upload, a malformed `npm:`/`jsr:` specifier (the body's `location` says where).
   */
  INVALID_CODE: 400,
  UNAUTHORIZED: 401,
  /** CLI: no server URL or API key configured. */
  NOT_LOGGED_IN: 401,
  INVALID_TOKEN: 401,
  /** The dashboard: no session, or one that ended (signed out, expired, its key revoked). */
  SESSION_REQUIRED: 401,
  FORBIDDEN: 403,
  /** The dashboard: a change without the session's CSRF token, or from another origin. */
  CSRF_FAILED: 403,
  /** A file link whose signature is wrong, or that has expired. */
  INVALID_SIGNATURE: 403,
  FUNCTIONS_DISABLED: 403,
  APP_NOT_FOUND: 404,
  FUNCTION_NOT_FOUND: 404,
  DEPLOYMENT_NOT_FOUND: 404,
  /** No entity of that name in the app's schema. */
  ENTITY_NOT_FOUND: 404,
  /** No record with that id, or one the caller's access rules hide. */
  RECORD_NOT_FOUND: 404,
  /** No automation with that id in the app. */
  AUTOMATION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  /** A link (invitation, password reset) past its time or already used. */
  LINK_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  /** A byte range outside the file. */
  RANGE_NOT_SATISFIABLE: 416,
  /** The request expects something other than `100-continue`. */
  EXPECTATION_FAILED: 417,
  UNPROCESSABLE: 422,
  /** A record that does not fit its entity's schema (a type, a required field). */
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  /** A request head over the size or field-count limit (runtime/src/http_rules.js). */
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  NOT_AVAILABLE: 501,
  /** An integration the operator has not configured (no SMTP relay, no LLM endpoint...). */
  INTEGRATION_NOT_CONFIGURED: 501,
  /** A request method or transfer coding fnbase does not serve. */
  NOT_IMPLEMENTED: 501,
  FUNCTION_BOOT_FAILED: 502,
  FUNCTION_CRASHED: 502,
  UPSTREAM_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  /** A node that should get no traffic now (draining, or reconnecting to its cluster). */
  NOT_READY: 503,
  /** The PostgreSQL store named by `--store` / `FNBASE_STORE` cannot be reached at start. */
  STORE_UNAVAILABLE: 503,
  /** CLI: the server could not be reached at all. */
  SERVER_UNREACHABLE: 503,
  FUNCTION_TIMEOUT: 504,
  HTTP_VERSION_NOT_SUPPORTED: 505,
  /** Another live server uses the data dir a server was started on (`--data`). */
  DATA_DIR_IN_USE: 409,
  CONFIG_INVALID: 500,
  MASTER_KEY_MISMATCH: 500,
} as const satisfies Record<string, number>;

/** A known error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The JSON body of every error fnbase itself answers with. `message` repeats `error` for
 * `@base44/sdk`, whose `Base44Error` takes its message from `body.message` (0.8.50
 * `dist/utils/axios-client.js`); `field` names the offending field where there is one.
 */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
  message: string;
  hint?: string;
  field?: string;
  location?: SourceLocation;
}

/**
 * A place in a function's code: `file` relative to the project (`base44/functions/hello/entry.ts`
 * as the server sees a deployment), `line` and `column` from 1.
 */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * An error a caller is expected to see: it carries a code, an HTTP status and an optional hint.
 *
 * @example
 * throw new FnbaseError("FUNCTION_NOT_FOUND", `Function not found: "orders/process"`, {
 *   hint: "Deploy it first with `fnbase deploy`",
 * });
 */
export class FnbaseError extends Error {
  override readonly name = "FnbaseError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  /** The field of a record or schema the error is about, when there is one. */
  readonly field: string | undefined;
  /** Where in a function's code the error is, when it is about code. */
  readonly location: SourceLocation | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; field?: string; location?: SourceLocation; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.hint = options.hint;
    this.field = options.field;
    this.location = options.location;
  }

  /** The JSON body sent to HTTP callers. */
  toJSON(): ErrorBody {
    const body: ErrorBody = { error: this.message, code: this.code, message: this.message };
    if (this.hint !== undefined) body.hint = this.hint;
    if (this.field !== undefined) body.field = this.field;
    if (this.location !== undefined) body.location = this.location;
    return body;
  }
}

/** True when `value` is an {@link FnbaseError}, including one from another copy of this module. */
export function isFnbaseError(value: unknown): value is FnbaseError {
  return (
    value instanceof FnbaseError ||
    (value instanceof Error && value.name === "FnbaseError" && "code" in value && "status" in value)
  );
}

/**
 * Turns anything thrown into an error body and status. Unknown errors become a 500 whose
 * message hides internals; the caller logs the original.
 */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isFnbaseError(err)) return { status: err.status, body: err.toJSON() };
  const error = "Internal server error";
  return { status: 500, body: { error, code: "INTERNAL", message: error } };
}
