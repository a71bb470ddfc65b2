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
