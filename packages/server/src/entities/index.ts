/**
 * Entities: an app's data types (schemas with access rules) and their records, served with
 * Base44's wire format. `query/` parses and compiles filters, `schema/` checks schemas and
 * records, `rules/` turns access rules into filters, `records/` runs every operation, and
 * `routes/` maps HTTP onto it.
 */

export { ChangeFeed, type EntityChange, withChangeFeed } from "./records/change-feed.js";
export { type EntityCall, EntityService } from "./records/service.js";
export { type RecordRouteDeps, recordRoutes } from "./routes/record-routes.js";
export { schemaRoutes } from "./routes/schema-routes.js";
export type { Actor, Operation, UserDoc } from "./rules/access.js";
export { hideFields } from "./rules/field-rules.js";
export { EntitySchemas } from "./schema/schema-catalog.js";
export { USER_ENTITY } from "./schema/types.js";
