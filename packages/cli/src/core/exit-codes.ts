import type { ErrorCode } from "@fnbase/shared";

/**
 * The exit codes of `fnbase`, documented in the package README.
 *
 * @example
 * process.exitCode = exitCodeFor("APP_NOT_FOUND"); // 4
 */
export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** The operation failed (a deploy with failures, a non-2xx invoke, a server error). */
  FAILURE: 1,
  /** Wrong or conflicting arguments. */
  USAGE: 2,
  /** No credentials, or the server refused them. */
  AUTH: 3,
  /** The app, function or deployment does not exist. */
  NOT_FOUND: 4,
  /** The local project is missing, not linked or has problems. */
  PROJECT: 5,
  /** The server cannot be reached, or does not offer this feature. */
  UNAVAILABLE: 6,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: EXIT.USAGE,
  BAD_REQUEST: EXIT.USAGE,
  INVALID_JSON: EXIT.USAGE,
  INVALID_SECRET_NAME: EXIT.USAGE,
  INVALID_QUERY: EXIT.USAGE,
  UNAUTHORIZED: EXIT.AUTH,
  INVALID_TOKEN: EXIT.AUTH,
  FORBIDDEN: EXIT.AUTH,
  NOT_LOGGED_IN: EXIT.AUTH,
  APP_NOT_FOUND: EXIT.NOT_FOUND,
  FUNCTION_NOT_FOUND: EXIT.NOT_FOUND,
  DEPLOYMENT_NOT_FOUND: EXIT.NOT_FOUND,
  NOT_FOUND: EXIT.NOT_FOUND,
  AUTOMATION_NOT_FOUND: EXIT.NOT_FOUND,
  PROJECT_INVALID: EXIT.PROJECT,
  NOT_LINKED: EXIT.PROJECT,
  INVALID_NAME: EXIT.PROJECT,
  INVALID_SCHEMA: EXIT.PROJECT,
  INVALID_AUTOMATION: EXIT.PROJECT,
  SERVER_UNREACHABLE: EXIT.UNAVAILABLE,
  NOT_AVAILABLE: EXIT.UNAVAILABLE,
  SERVICE_UNAVAILABLE: EXIT.UNAVAILABLE,
};

/** The exit code for an error code; anything unlisted is a plain failure (1). */
export function exitCodeFor(code: ErrorCode | undefined): number {
  return (code && BY_CODE[code]) ?? EXIT.FAILURE;
}
