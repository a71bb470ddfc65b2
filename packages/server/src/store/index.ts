export { openSqliteStore } from "./sqlite/sqlite-store.js";
export type {
  AppPatch,
  AppRecord,
  DeployFile,
  DeploymentRecord,
  FunctionRecord,
  Store,
} from "./types.js";
