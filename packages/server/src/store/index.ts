export type {
  AutomationKind,
  AutomationPatch,
  AutomationRow,
  AutomationStore,
  AutomationWrite,
  ClaimedRun,
  DueApp,
  EntityEventPolicy,
  NewRun,
  RunQuery,
  RunResult,
  RunRow,
  RunStatus,
  RunTrigger,
  TickPlan,
} from "./automation-types.js";
export { WAITING } from "./automation-types.js";
export type {
  AggregateQuery,
  AggregateRow,
  EntityRef,
  EntitySchemaRow,
  EntityStore,
  FindQuery,
  RecordChange,
  RecordChangeListener,
  SchemaSyncResult,
  SchemaToSync,
  StoredRecord,
} from "./entity-types.js";
export { AGGREGATE_MAX_GROUPS, changeType } from "./entity-types.js";
export type {
  ApiKeyRow,
  IdentityStore,
  SecretRow,
  UserPatch,
  UserRow,
} from "./identity-types.js";
export { openSqliteStore } from "./sqlite/sqlite-store.js";
export type {
  AppPatch,
  AppRecord,
  DeployFile,
  DeploymentRecord,
  FunctionRecord,
  Store,
} from "./types.js";
