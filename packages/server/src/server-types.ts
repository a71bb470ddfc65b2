import type { Hono } from "hono";
import type { FunctionOutputLine, ResolvedOptions } from "./config.js";
import type { DeployResult } from "./deploy/deployer.js";
import type { InvocationRecord } from "./gateway/gateway.js";
import type { AppRecord, SchemaSyncResult } from "./store/index.js";

/** A running fnbase server. */
export interface FnbaseServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:4400`. */
  readonly url: string;
  readonly port: number;
  /** This node's name (the `node` label of `/metrics`; unique among the nodes of one store). */
  readonly nodeId: string;
  /**
   * Node's own unix socket behind the front (`<dataDir>/internal/node.sock`, mode 0600, in a
   * folder of mode 0700, out of every instance's permissions). It answers only requests that
   * carry the front's secret; exposed for tests and diagnostics.
   */
  readonly internalSocket: string;
  /** Process id of the front (the Deno process on the public port), while it runs. */
  readonly frontPid: number | undefined;
  /** The admin key in clear when it was given or generated at this start; else undefined. */
  readonly adminKey: string | undefined;
  /** True when the admin key was generated at this start (print it once). */
  readonly adminKeyGenerated: boolean;
  readonly options: ResolvedOptions;
  /** The management API (Hono), for in-process requests. */
  readonly api: Hono;
  /** Creates an app (what `POST /api/apps` does). */
  createApp(name: string, id?: string): Promise<AppRecord>;
  /** True when the app exists. */
  hasApp(appId: string): boolean;
  /**
   * Which app `/functions/*` serves when no app id or domain picks one, and how to choose
   * another: what the CLI prints at start (the server logs it when an app is created).
   */
  defaultAppNotice(): string;
  /**
   * A link that signs its first opener in to the dashboard with the admin's rights, once,
   * within 15 minutes (`{url}/_{path}?code=...`): what `fnbase dev` prints, so a developer
   * needs no key to open the dashboard of their own machine's server.
   */
  dashboardSignInLink(path?: string): string;
  /** Deploys a function (what `PUT backend-functions/{name}` does). */
  deploy(appId: string, name: string, body: unknown): Promise<DeployResult>;
  /**
   * Makes an app's entity schemas exactly `entityNameToSchema` (what `PUT entity-schemas` does):
   * entities left out keep their records, and pushing their names again brings them back.
   */
  syncEntities(appId: string, entityNameToSchema: unknown): Promise<SchemaSyncResult>;
  /** Removes a function. */
  removeFunction(appId: string, name: string): Promise<boolean>;
  /** Names of an app's deployed functions. */
  functionNames(appId: string): string[];
  /**
   * Makes an app's secrets exactly `values` (what `fnbase dev` does with `.env`): sets new and
   * changed ones, deletes the rest; false when nothing changed (running instances are kept).
   */
  replaceSecrets(appId: string, values: Record<string, string>): Promise<boolean>;
  /** Subscribes to every line instances write; returns the unsubscribe function. */
  onOutput(cb: (line: FunctionOutputLine) => void): () => void;
  /** Subscribes to finished invocations. */
  onInvocation(cb: (r: InvocationRecord) => void): () => void;
  /** The automations of every app. */
  readonly automations: {
    /**
     * Queues what is due at the clock's time (`ServerOptions.now`: ticks, retries) and waits
     * until every run that can start has finished, those its runs trigger included.
     */
    tick(): Promise<void>;
  };
  /**
   * Process ids of the spare Deno processes that have booted and wait for a function
   * (`spareInstances`); for tests and the benchmark.
   */
  sparePids(): number[];
  /** App host processes (`runtime: "host"`; none otherwise): app, pid, Workers running. */
  hostProcesses(): { app_id: string; pid: number | undefined; workers: number }[];
  /** Resident memory of each running instance, in bytes. */
  instanceMemory(): Promise<{ app_id: string; function: string; rss: number | undefined }[]>;
  /**
   * Graceful drain, then close (what `fnbase server` does on SIGTERM): `/readyz` answers 503,
   * after `drainDelayMs` the public port takes no new connection, requests in progress are
   * answered (at most `drainTimeoutMs`), then everything stops.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}
