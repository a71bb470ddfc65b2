import { FnbaseError } from "@fnbase/shared";

/** Largest secret value, in bytes (an environment entry must stay well under Linux's 128 KiB). */
export const MAX_SECRET_VALUE_BYTES = 32 * 1024;
/** Largest sum of an app's secret values, in bytes. */
export const MAX_APP_SECRETS_BYTES = 256 * 1024;
/** Most secrets an app may hold. */
export const MAX_APP_SECRETS = 200;
/** Longest secret name. */
export const MAX_SECRET_NAME = 128;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names the host owns or that change how Deno, the dynamic loader or the C library behave:
 * a function may not set them (they could override fnbase's settings for its own process, or
 * poison the module cache that instances share).
 */
const RESERVED_EXACT = new Set([
  "PATH",
  "HOME",
  "TMPDIR",
  "TMP",
  "TEMP",
  "NO_COLOR",
  "USER",
  "SHELL",
  "PWD",
  "JSR_URL",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GLIBC_TUNABLES",
  // The host passes its own proxy settings to instances (module downloads share one cache).
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
]);
const RESERVED_PREFIXES = ["DENO_", "FNBASE_", "BASE44_", "LD_", "DYLD_", "NPM_CONFIG_", "NODE_"];

/**
 * Checks a secret name: a valid environment variable name that fnbase does not reserve.
 * Throws INVALID_SECRET_NAME (400) naming the offending value.
 *
 * @example
 * checkSecretName("STRIPE_KEY"); // ok
 * checkSecretName("DENO_DIR"); // throws: Reserved secret name: "DENO_DIR"
 */
export function checkSecretName(name: string): void {
  if (name.length > MAX_SECRET_NAME || !NAME.test(name)) {
    throw new FnbaseError("INVALID_SECRET_NAME", `Invalid secret name: ${JSON.stringify(name)}`, {
      hint: `Use letters, digits and _ (not first), at most ${MAX_SECRET_NAME} characters, e.g. STRIPE_KEY`,
    });
  }
  const upper = name.toUpperCase();
  if (RESERVED_EXACT.has(upper) || RESERVED_PREFIXES.some((p) => upper.startsWith(p))) {
    throw new FnbaseError("INVALID_SECRET_NAME", `Reserved secret name: ${JSON.stringify(name)}`, {
      hint: `Names ${RESERVED_PREFIXES.map((p) => `${p}*`).join(", ")} and ${[...RESERVED_EXACT].join(", ")} belong to the host`,
    });
  }
}

/** Checks a secret value: a string without NUL, at most {@link MAX_SECRET_VALUE_BYTES}. */
export function checkSecretValue(name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new FnbaseError("BAD_REQUEST", `Secret value must be a string: ${name}`);
  }
  if (value.includes("\0")) {
    throw new FnbaseError("BAD_REQUEST", `Secret value must not contain a NUL character: ${name}`);
  }
  if (Buffer.byteLength(value) > MAX_SECRET_VALUE_BYTES) {
    throw new FnbaseError(
      "PAYLOAD_TOO_LARGE",
      `Secret value is over the limit of ${MAX_SECRET_VALUE_BYTES} bytes: ${name}`,
    );
  }
  return value;
}
