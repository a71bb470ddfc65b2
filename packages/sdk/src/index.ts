/**
 * `@fnbase/sdk`: call fnbase backend functions from browsers, Node, Deno and from inside other
 * functions. Same names and wire format as `@base44/sdk`'s functions and auth modules.
 *
 * @module
 */
export type {
  AuthModule,
  LoginResult,
  RegisterPayload,
  User,
} from "./auth.js";
export {
  type ClientConfig,
  createClient,
  type FnbaseClient,
  type ServiceRoleClient,
} from "./client.js";
export { ApiError, Base44Error } from "./errors.js";
export { createClientFromRequest, type RequestLike } from "./from-request.js";
export type { FunctionsModule } from "./functions.js";
export type { FunctionName, FunctionNameOf, FunctionNameRegistry } from "./registry.js";
export type { TokenStorage } from "./token-storage.js";
