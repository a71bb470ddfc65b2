/**
 * The entities query engine: parse and check the wire forms (`q`, `sort`, `fields`, `limit`,
 * `skip`, access rules, update operators) into small typed trees, evaluate a filter in memory,
 * and compile it to SQLite SQL. Pure: no store, no HTTP, no access-rule templates.
 *
 * Pipeline: `parseFilter` → (`and(rule, filter)`) → `compileWhere` (SQL) or `matches` (memory).
 */

export { and, constant, field, nor, or } from "./build.js";
export { elementMatches, matches, matchesMissing } from "./evaluate.js";
export {
  BUILT_IN_FIELDS,
  fieldNameProblem,
  MAX_PATH_SEGMENTS,
  MAX_SEGMENT_LENGTH,
  parseFieldName,
} from "./names.js";
export { type ParseOptions, parseFilter, parseQueryParam } from "./parse.js";
export { compileRegex, MAX_PATTERN_LENGTH } from "./regex.js";
export {
  DEFAULT_SORT,
  parseFields,
  parseLimit,
  parseSkip,
  parseSort,
  project,
  sortValues,
} from "./sort.js";
export { compileWhere } from "./sqlite.js";
export { compileAfter, compileOrderBy } from "./sqlite-order.js";
export { fieldExpression, fieldType, jsonPathSegment } from "./sqlite-paths.js";
export { registerSqliteFunctions, sqliteCompiler } from "./sqlite-runtime.js";
export type {
  FieldCondition,
  FieldPath,
  Filter,
  Json,
  SortKey,
  TableShape,
} from "./types.js";
export { applyUpdate } from "./update-apply.js";
export { parseUpdate, type UpdateOp, type UpdateOps } from "./update-ops.js";
