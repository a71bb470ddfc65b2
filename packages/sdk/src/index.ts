/**
 * `@fnbase/sdk`: read and write an fnbase app's records and call its backend functions from
 * browsers, Node, Deno and from inside other functions. Same names and wire format as
 * `@base44/sdk`'s entities, functions and auth modules.
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
export type {
  DeleteManyResult,
  DeleteResult,
  EntitiesModule,
  EntityAggregateResult,
  EntityAggregateSpec,
  EntityDateBucketUnit,
  EntityDistinctOptions,
  EntityFilterOperators,
  EntityFilterQuery,
  EntityFilterValue,
  EntityHandler,
  EntityListOptions,
  EntityPage,
  EntityRecord,
  EntityTypeRegistry,
  EntityUpsertOptions,
  EntityUpsertResult,
  ImportResult,
  ServerEntityFields,
  SortField,
  UpdateManyResult,
} from "./entities/index.js";
export { ApiError, Base44Error } from "./errors.js";
export { createClientFromRequest, type RequestLike } from "./from-request.js";
export type { FunctionsModule } from "./functions.js";
export type {
  CoreIntegrations,
  ExtractDataResult,
  IntegrationEndpoint,
  IntegrationsModule,
  InvokeLLMParams,
  SendEmailParams,
} from "./integrations.js";
export type { RealtimeCallback, RealtimeEvent, RealtimeEventType } from "./realtime.js";
export type { FunctionName, FunctionNameOf, FunctionNameRegistry } from "./registry.js";
export type { TokenStorage } from "./token-storage.js";
export type { UsersModule } from "./users.js";
