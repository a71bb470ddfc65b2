export type { ApiKeyInfo, CreatedApiKey } from "./api-keys.js";
export { API_KEYS_PATH } from "./api-keys.js";
export type { EnvVar } from "./env.js";
export { ENV_VARS, readEnv } from "./env.js";
export type { ErrorBody, ErrorCode, SourceLocation } from "./errors.js";
export { ERROR_STATUS, FnbaseError, isFnbaseError, toErrorResponse } from "./errors.js";
export type { Logger } from "./logger.js";
export {
  createLogger,
  type LogFormat,
  type LoggerOptions,
  logFormat,
} from "./logger.js";
