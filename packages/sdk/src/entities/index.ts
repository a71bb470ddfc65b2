export type { EntitiesModule, EntityHandler } from "./handler.js";
export { createEntitiesModule, type EntitiesModuleOptions } from "./module.js";
export type {
  EntityAggregateSpec,
  EntityDateBucketUnit,
  EntityDistinctOptions,
  EntityListOptions,
  EntityUpsertOptions,
} from "./options.js";
export type {
  EntityFilterOperators,
  EntityFilterQuery,
  EntityFilterValue,
  SortField,
} from "./query.js";
export type { EntityRecord, EntityTypeRegistry, ServerEntityFields } from "./records.js";
export type {
  DeleteManyResult,
  DeleteResult,
  EntityAggregateResult,
  EntityPage,
  EntityUpsertResult,
  ImportResult,
  UpdateManyResult,
} from "./results.js";
