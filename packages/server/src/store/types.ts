/**
 * The store interface. Callers only see this file; `sqlite/` implements it, and a PostgreSQL
 * implementation can follow without touching callers (every method is async for that reason).
 */

import type { AutomationStore } from "./automation-types.js";
import type { EntityStore } from "./entity-types.js";
import type { IdentityStore } from "./identity-types.js";

/** An app: the unit of tenancy. Functions, secrets and users belong to one app. */
export interface AppRecord {
  id: string;
  name: string;
  functions_enabled: boolean;
  /** Origins allowed to call functions from browsers; `["*"]` allows any. */
  cors_origins: string[];
  /** Host names that route `/functions/*` and `/api/functions/*` to this app. */
  domains: string[];
  /**
   * Hosts, addresses and ranges the app's functions may connect to beyond the public internet
   * (`db.internal`, `*.corp.example:443`, `10.0.0.0/24`); set by the operator (admin key only).
   */
  egress_allow: string[];
  created_date: string;
  updated_date: string;
}

/** A file of a deployment, its path relative to the function folder. */
export interface DeployFile {
  path: string;
  content: string;
}

/** An immutable deployment of one function. */
export interface DeploymentRecord {
  id: string;
  app_id: string;
  function_name: string;
  content_hash: string;
  entry: string;
  files: DeployFile[];
  automations: unknown[] | null;
  created_date: string;
}

/** A deployed function: a name pointing at its current deployment. */
export interface FunctionRecord {
  app_id: string;
  name: string;
  deployment_id: string;
  /** Per-function request time limit in ms; null means the server's default. */
  timeout_ms: number | null;
  /** Per-function memory limit of its instances in MB; null means the server's default. */
  memory_mb: number | null;
  created_date: string;
  updated_date: string;
}

/** The fields of an app a caller may change. */
export type AppPatch = Partial<
  Pick<AppRecord, "name" | "functions_enabled" | "cors_origins" | "domains" | "egress_allow">
>;

/** What fnbase keeps. */
export interface Store {
  /** App users, encrypted secrets and workspace API keys. */
  readonly identity: IdentityStore;
  /** Entity schemas and records of every app. */
  readonly entities: EntityStore;
  /** Automations, their schedules and runs (entity events are queued by `entities`' writes). */
  readonly automations: AutomationStore;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  createApp(app: { id: string; name: string; signing_key: string }): Promise<AppRecord>;
  getApp(id: string): Promise<AppRecord | undefined>;
  listApps(): Promise<AppRecord[]>;
  updateApp(id: string, patch: AppPatch): Promise<AppRecord | undefined>;
  /** The app's token signing key (never part of an AppRecord). */
  getSigningKey(appId: string): Promise<string | undefined>;

  listFunctions(appId: string): Promise<FunctionRecord[]>;
  getFunction(appId: string, name: string): Promise<FunctionRecord | undefined>;
  deleteFunction(appId: string, name: string): Promise<boolean>;

  getDeployment(id: string): Promise<DeploymentRecord | undefined>;
  listDeployments(appId: string, name: string, limit: number): Promise<DeploymentRecord[]>;
  /** Records a new deployment and makes it current, atomically, with the function's limits. */
  addDeployment(
    d: DeploymentRecord,
    timeoutMs: number | null,
    memoryMb?: number | null,
  ): Promise<FunctionRecord>;
  /** Makes an existing deployment current (rollback). */
  setCurrentDeployment(
    appId: string,
    name: string,
    deploymentId: string,
  ): Promise<FunctionRecord | undefined>;
  /** Keeps the newest `keep` deployments of a function (and its current one); returns removed ids. */
  pruneDeployments(appId: string, name: string, keep: number): Promise<string[]>;

  close(): Promise<void>;
}
