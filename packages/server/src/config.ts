import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FnbaseError, type LogFormat, logFormat, readEnv } from "@fnbase/shared";
import { resolveIntegrationOptions } from "./integrations/options.js";
import { POOL_WORKERS } from "./runtime/host-runtime.js";
import type { RuntimeKind } from "./runtime/manager.js";
import type { SandboxSetting } from "./runtime/sandbox.js";

/**
 * The process's soft limit on open files (what the front, its child, inherits), from
 * /proc/self/limits; 1024, the usual default, where that cannot be read.
 */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return 1024;
}

/** Options of {@link startServer}; every one has a documented default. */
export interface ServerOptions {
  /** Port to listen on; 0 picks a free one. Default 4400. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /**
   * How the hint of a busy port's error names the way to pick another port: the CLI passes how
   * the user started it (`npm start -- --port <port>` under `npm start`). Default `--port`.
   */
  portOption?: string;
  /** Format of the server's own log on stderr. Default `logFormat()` (`FNBASE_LOG_FORMAT`, else by terminal). */
  logFormat?: LogFormat;
  /** Directory for the store, deployments, module cache and keys. Default `./.fnbase`. */
  dataDir?: string;
  /**
   * Where state is kept: `"sqlite"` (one file in `dataDir`) or a PostgreSQL URL
   * (`postgres://user:pass@host:5432/db`) that several nodes share. Default `FNBASE_STORE`, else
   * `"sqlite"`. With PostgreSQL, `dataDir` holds only this node's caches (deployments written
   * out, Deno's module cache) and, unless `FNBASE_MASTER_KEY` is set, the master key file,
   * which every node needs the same copy of.
   */
  store?: string;
  /** This node's name, unique among the nodes of one store (metrics' `node` label, logs). Default `FNBASE_NODE_ID`, else `<host name>-<process id>`. */
  nodeId?: string;
  /** Admin API key; default `FNBASE_ADMIN_KEY` or one generated at first start. */
  adminKey?: string;
  /** Master key sealing secrets (64 hex chars or base64 of 32 bytes); default `FNBASE_MASTER_KEY` or `<dataDir>/master.key`. */
  masterKey?: string;
  /** App served by `/functions/*` and `/api/functions/*` when no app id or domain picks one. */
  defaultApp?: string;
  /**
   * On SIGTERM (`drain()`), how long `/readyz` answers 503 before the public port stops taking
   * connections, in ms: long enough for the load balancer's health check to see it (two check
   * intervals). Default 0.
   */
  drainDelayMs?: number;
  /** On SIGTERM, how long requests in progress may take to finish, in ms. Default 30,000. */
  drainTimeoutMs?: number;
  /** Time limit per request in ms. Default 300,000 (5 minutes). */
  requestTimeoutMs?: number;
  /** Stop an instance after this long without requests, in ms. Default 300,000. */
  idleTimeoutMs?: number;
  /** How long an instance may take to boot, in ms. Default 60,000 (first npm: imports download). */
  bootTimeoutMs?: number;
  /**
   * Deno processes kept started ahead of need, so that a cold start only loads the function's
   * code. Each holds about 40 MB while it waits. Default 1; 0 starts every instance on demand.
   */
  spareInstances?: number;
  /**
   * Host runtime (`runtime: "host"`): Workers each spare host process boots ahead of need, so
   * that a burst of cold starts of an app that was not running takes booted Workers instead of
   * waiting for the host to create them one at a time (20-30 ms each). Each holds about 9 MB
   * while it waits. Default 8 (what a burst of 10 cold starts within 150 ms took, measured on
   * two cores: `npm run bench:density`).
   */
  spareWorkers?: number;
  /** Largest request body passed to a function, in bytes. Default 2 GiB. */
  maxBodyBytes?: number;
  /** Largest deploy upload (sum of file sizes), in bytes. Default 20 MiB. */
  maxUploadBytes?: number;
  /** Largest entity record, as stored JSON, in bytes. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Largest JSON body of an entity route (bulk calls, deleteMany), in bytes. Default 16 MiB. */
  maxEntityBodyBytes?: number;
  /** Largest file an entity import takes, in bytes. Default 50 MiB. */
  maxImportBytes?: number;
  /** Deployments kept per function for rollback. Default 20. */
  keepDeployments?: number;
  /**
   * Callers' connections the public port keeps open at once. Default: half of what the open-file
   * limit leaves after 512 for the server's own use (each busy connection may hold a second one
   * to an instance), at least 64, at most 16,384. When reached, a new connection closes the
   * oldest idle one (of the address holding the most), or is refused with 503 when none is idle.
   */
  maxConnections?: number;
  /**
   * Connections one client address may keep open at once (behind a reverse proxy on the same
   * machine every caller shares its address: raise it). Default 256. When reached, a new one
   * closes that address's oldest idle one, or is refused with 429.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Requests (WebSocket sessions included) one app may have in progress at once, on each of the
   * front's direct path and Node's gateway; more get 503 with Retry-After. Default: half of
   * `maxConnections`.
   */
  maxConcurrentPerApp?: number;
  /**
   * Let the front answer repeat invocations from the decisions Node hands it (default true).
   * False sends every request through Node: for tests that compare the two paths.
   */
  decisions?: boolean;
  /**
   * Send every caller the details of a function's failure: its boot error, its uncaught
   * exception's message (what `fnbase dev` does). Default false: only callers with an API key
   * get them; others get a short message, the code and the request id, and the details go to
   * the function's logs.
   */
  exposeErrors?: boolean;
  /** Allow any origin on every app (what `fnbase dev` does). Default false. */
  corsAnyOrigin?: boolean;
  /** Path of the Deno binary. Default `FNBASE_DENO` or the `deno` npm package's binary. */
  denoPath?: string;
  /** Give instances all permissions (`fnbase dev --allow-all`). Default false. */
  allowAll?: boolean;
  /**
   * How instances are confined beyond Deno's permissions (network and mount namespaces; see
   * docs/SECURITY.md): `"auto"` where the kernel allows, `"require"` or refuse to start, `"off"`.
   * Default `FNBASE_SANDBOX`, else `"auto"`.
   */
  sandbox?: SandboxSetting;
  /**
   * What a function instance is: `"host"`, a Worker with its own heap limit in one Deno process
   * per app, or `"process"`, a Deno process of its own (docs/ARCHITECTURE.md, Instances).
   * Default `FNBASE_RUNTIME`, else `"host"`.
   */
  runtime?: RuntimeKind;
  /**
   * The cgroup folder instances' kernel limits (memory; on v2 a CPU share) are made in, `"auto"` (as
   * root, the cgroup tree's own) or `"off"`. Default `FNBASE_CGROUP`, else `"auto"`.
   */
  cgroup?: string;
  /** Memory limit per instance in MB, unless its function sets `memory_mb`. Default 256. */
  memoryLimitMb?: number;
  /**
   * CPU time an instance may spend on one request without yielding (its event loop not
   * turning), in ms; past it the instance is killed. Capped by the function's time limit.
   * Default 10,000.
   */
  cpuTimeLimitMs?: number;
  /** Size of an instance's writable folder (TMPDIR, HOME), in bytes. Default 64 MiB. */
  instanceDiskBytes?: number;
  /**
   * npm registry instances download `npm:` imports from (http or https URL), passed to them as
   * `NPM_CONFIG_REGISTRY`. Default `FNBASE_NPM_REGISTRY`, else the server's own
   * `NPM_CONFIG_REGISTRY`, else Deno's default. The SDKs never need it (the server ships them).
   */
  npmRegistry?: string;
  /** Function log lines older than this are pruned, in ms. Default 7 days. */
  logRetentionMs?: number;
  /** Per app, the oldest log lines are pruned past this many bytes. Default 100 MiB. */
  logMaxBytesPerApp?: number;
  /** How often log retention runs, in ms. Default 60,000. */
  logPruneIntervalMs?: number;
  /** Log lines per second one instance may write, sustained; more are dropped and counted. Default 500. */
  logLinesPerSecond?: number;
  /** Log lines one instance may write at once before `logLinesPerSecond` applies. Default 2,000. */
  logBurstLines?: number;
  /** Called with each line an instance writes (for `fnbase dev`'s terminal). */
  onFunctionOutput?: (line: FunctionOutputLine) => void;
  /**
   * The hint of a `FUNCTION_NOT_FOUND` answer for `name` (the path asked) on `appId`; undefined
   * keeps the default ("Deploy it with `fnbase deploy`"). `fnbase dev` says why a function of the
   * project did not deploy.
   */
  functionNotFoundHint?: (appId: string, name: string) => string | undefined;
  /**
   * Base URL callers reach the server at, used in emailed links and file URLs (never taken from
   * a request's Host, which a caller chooses). Default `FNBASE_PUBLIC_URL`, else the listening URL.
   */
  publicUrl?: string;
  /**
   * Base URL of file links, when files are served from a host name of their own (recommended:
   * uploaded content then never runs on the API's origin). Default `FNBASE_FILES_URL`, else
   * `publicUrl`.
   */
  filesUrl?: string;
  /** Where uploaded files are kept. Default `FNBASE_FILE_STORAGE`, else `s3` when an S3 bucket is set, else `disk` (`<dataDir>/files`). */
  fileStorage?: "disk" | "s3";
  /** The S3 (or S3-compatible) bucket for `fileStorage: "s3"`; default from the `FNBASE_S3_*` variables. */
  s3?: S3Options;
  /** Largest uploaded file, in bytes. Default 50 MiB (the Base44 dev server's limit). */
  maxFileBytes?: number;
  /** Most bytes of files one app may keep. Default 10 GiB. */
  maxAppFilesBytes?: number;
  /** Per-app overrides of `maxFileBytes` and `maxAppFilesBytes`, by app id. */
  appFileLimits?: Record<string, { maxFileBytes?: number; maxAppFilesBytes?: number }>;
  /** SMTP relay for emails (`smtp://user:pass@host:587`, `smtps://host:465`). Default `FNBASE_SMTP_URL`; none: email answers 501. */
  smtpUrl?: string;
  /** Sender address of every email. Default `FNBASE_MAIL_FROM`, else `noreply@<SMTP host>`. */
  mailFrom?: string;
  /** OpenAI-compatible API base URL (up to `/v1`). Default `FNBASE_LLM_URL`; none: the AI integrations answer 501. */
  llmUrl?: string;
  /** Bearer key for `llmUrl`. Default `FNBASE_LLM_API_KEY`. */
  llmApiKey?: string;
  /** Model for calls that name none, or a name `llmModels` does not map. Default `FNBASE_LLM_MODEL`. */
  llmModel?: string;
  /** Model names callers send (Base44's, such as `gpt_5_mini`) mapped to the endpoint's. Default from `FNBASE_LLM_MODELS`. */
  llmModels?: Record<string, string>;
  /** Image model for `GenerateImage`. Default `FNBASE_IMAGE_MODEL`; none: GenerateImage answers 501. */
  imageModel?: string;
  /** Time limit of one call to the LLM endpoint, in ms. Default 120,000. */
  llmTimeoutMs?: number;
  /** Analytics events older than this are pruned, in ms. Default 30 days. */
  analyticsRetentionMs?: number;
  /** Per app, the oldest analytics events are pruned past this many. Default 1,000,000. */
  analyticsMaxEventsPerApp?: number;
  /**
   * The server's clock, in ms since 1970: automations' schedules, retries and run times, and the
   * expiry of signed file links follow it. Default `Date.now`; tests pass a clock they move.
   */
  now?: () => number;
  /** Shortest interval a recurring automation may have, in ms. Default 300,000 (5 minutes). */
  automationMinIntervalMs?: number;
  /**
   * Automation runs that may trigger each other in a row (a run's writes start the next); an
   * event past this is kept as a skipped run. Default 5.
   */
  automationMaxDepth?: number;
  /** Automation runs delivered at once, at most (claims and ends are batched: more at once costs less each). Default 32. */
  automationConcurrency?: number;
  /**
   * Delays before each retry of a failed automation run (no answer, 408, 429 or 5xx), in ms;
   * the number of retries is its length. Default 30 s, 2 min, 10 min (3 retries).
   */
  automationRetryDelaysMs?: number[];
  /** How often due schedules and retries are looked for, in ms (0: never on a timer). Default 1,000. */
  automationPollMs?: number;
  /**
   * While Node is busy with requests, how long due automation runs wait for it to calm down
   * before going at a narrow width anyway, in real ms (0: at once). Default 10,000.
   */
  automationDeferMs?: number;
}

/** An S3 or S3-compatible bucket for uploaded files. */
export interface S3Options {
  bucket: string;
  /** Endpoint of an S3-compatible service (MinIO, R2, ...); default AWS for `region`. */
  endpoint?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Key prefix inside the bucket, e.g. `fnbase/`. */
  prefix?: string;
  /** With `secretAccessKey`; default the AWS SDK's credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
}

/** One line of a function's output, tagged with where it came from. */
export interface FunctionOutputLine {
  time: string;
  level: "debug" | "info" | "warning" | "error";
  message: string;
  app_id: string;
  function: string;
  deployment_id: string;
  instance_id: string;
  request_id?: string;
  /** `function` for the function's own output, `platform` for fnbase's events. */
  source: "function" | "platform";
}

/** Options that stay optional once resolved (no default: absent means "not configured"). */
type Unset =
  | "nodeId"
  | "adminKey"
  | "masterKey"
  | "defaultApp"
  | "denoPath"
  | "npmRegistry"
  | "onFunctionOutput"
  | "functionNotFoundHint"
  | "publicUrl"
  | "filesUrl"
  | "s3"
  | "smtpUrl"
  | "mailFrom"
  | "llmUrl"
  | "llmApiKey"
  | "llmModel"
  | "imageModel";

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<ServerOptions, Unset>> & Pick<ServerOptions, Unset>;

/** `url` when it is an http or https URL; throws `CONFIG_INVALID` otherwise. */
function registryUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new FnbaseError("CONFIG_INVALID", `Invalid npm registry URL: "${url}"`, {
      hint: "Set FNBASE_NPM_REGISTRY (or the npmRegistry option) to an http or https URL",
    });
  }
  return url;
}

/** `sqlite` or a `postgres://` URL; anything else is `CONFIG_INVALID`. */
function storeSetting(v: string): string {
  if (v === "sqlite" || /^postgres(ql)?:\/\/./i.test(v)) return v;
  throw new FnbaseError(
    "CONFIG_INVALID",
    `Invalid store: ${JSON.stringify(v.replace(/:[^:@/]*@/, ":***@"))}`,
    {
      hint: "Use sqlite or a PostgreSQL URL, postgres://user:pass@host:5432/db (FNBASE_STORE, --store)",
    },
  );
}

function runtimeSetting(v: string): RuntimeKind {
  if (v === "process" || v === "host") return v;
  throw new FnbaseError("CONFIG_INVALID", `Invalid runtime: ${JSON.stringify(v)}`, {
    hint: "Use host (the default) or process (--runtime, FNBASE_RUNTIME)",
  });
}

function sandboxSetting(v: string): SandboxSetting {
  if (v === "auto" || v === "require" || v === "off") return v;
  throw new FnbaseError("CONFIG_INVALID", `Invalid sandbox setting: ${JSON.stringify(v)}`, {
    hint: "Use auto, require or off (FNBASE_SANDBOX)",
  });
}

/** `v` (floored) when it is a number of at least `min`; else `CONFIG_INVALID`. */
function atLeast(name: string, v: number, min: number): number {
  if (!Number.isFinite(v) || v < min) {
    throw new FnbaseError("CONFIG_INVALID", `Invalid ${name}: ${v}`, {
      hint: `It must be a number of at least ${min}`,
    });
  }
  return Math.floor(v);
}

/** Fills in defaults; throws `CONFIG_INVALID` for a value that cannot work. */
export function resolveOptions(o: ServerOptions): ResolvedOptions {
  const maxConnections =
    o.maxConnections ?? Math.min(16_384, Math.max(64, Math.floor((openFileLimit() - 512) / 2)));
  return {
    port: o.port ?? 4400,
    host: o.host ?? "127.0.0.1",
    portOption: o.portOption ?? "--port",
    logFormat: o.logFormat ?? logFormat(),
    dataDir: resolve(o.dataDir ?? ".fnbase"),
    store: storeSetting(o.store ?? readEnv("FNBASE_STORE") ?? "sqlite"),
    nodeId: o.nodeId ?? readEnv("FNBASE_NODE_ID"),
    adminKey: o.adminKey,
    masterKey: o.masterKey,
    defaultApp: o.defaultApp,
    requestTimeoutMs: o.requestTimeoutMs ?? 300_000,
    drainDelayMs: atLeast("drainDelayMs", o.drainDelayMs ?? 0, 0),
    drainTimeoutMs: atLeast("drainTimeoutMs", o.drainTimeoutMs ?? 30_000, 0),
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
    bootTimeoutMs: o.bootTimeoutMs ?? 60_000,
    spareInstances: o.spareInstances ?? 1,
    spareWorkers: atLeast("spareWorkers", o.spareWorkers ?? POOL_WORKERS, 0),
    maxBodyBytes: o.maxBodyBytes ?? 2 * 1024 ** 3,
    maxUploadBytes: o.maxUploadBytes ?? 20 * 1024 ** 2,
    maxRecordBytes: o.maxRecordBytes ?? 1024 ** 2,
    maxEntityBodyBytes: o.maxEntityBodyBytes ?? 16 * 1024 ** 2,
    maxImportBytes: o.maxImportBytes ?? 50 * 1024 ** 2,
    keepDeployments: o.keepDeployments ?? 20,
    maxConnections,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? 256,
    maxConcurrentPerApp: o.maxConcurrentPerApp ?? Math.max(8, Math.floor(maxConnections / 2)),
    decisions: o.decisions ?? true,
    exposeErrors: o.exposeErrors ?? false,
    corsAnyOrigin: o.corsAnyOrigin ?? false,
    denoPath: o.denoPath,
    allowAll: o.allowAll ?? false,
    sandbox: sandboxSetting(o.sandbox ?? readEnv("FNBASE_SANDBOX") ?? "auto"),
    runtime: runtimeSetting(o.runtime ?? readEnv("FNBASE_RUNTIME") ?? "host"),
    cgroup: o.cgroup ?? readEnv("FNBASE_CGROUP") ?? "auto",
    memoryLimitMb: atLeast("memoryLimitMb", o.memoryLimitMb ?? 256, 64),
    cpuTimeLimitMs: atLeast("cpuTimeLimitMs", o.cpuTimeLimitMs ?? 10_000, 10),
    instanceDiskBytes: atLeast("instanceDiskBytes", o.instanceDiskBytes ?? 64 * 1024 ** 2, 4096),
    npmRegistry: registryUrl(o.npmRegistry ?? readEnv("FNBASE_NPM_REGISTRY")),
    logRetentionMs: o.logRetentionMs ?? 7 * 24 * 3_600_000,
    logMaxBytesPerApp: o.logMaxBytesPerApp ?? 100 * 1024 ** 2,
    logPruneIntervalMs: o.logPruneIntervalMs ?? 60_000,
    logLinesPerSecond: o.logLinesPerSecond ?? 500,
    logBurstLines: o.logBurstLines ?? 2_000,
    onFunctionOutput: o.onFunctionOutput,
    functionNotFoundHint: o.functionNotFoundHint,
    ...resolveIntegrationOptions(o),
    now: o.now ?? Date.now,
    automationMinIntervalMs: positive(
      "automationMinIntervalMs",
      o.automationMinIntervalMs,
      300_000,
    ),
    automationMaxDepth: positive("automationMaxDepth", o.automationMaxDepth, 5),
    automationConcurrency: positive("automationConcurrency", o.automationConcurrency, 32),
    automationRetryDelaysMs: o.automationRetryDelaysMs ?? [30_000, 120_000, 600_000],
    automationPollMs: o.automationPollMs ?? 1_000,
    automationDeferMs: nonNegative("automationDeferMs", o.automationDeferMs, 10_000),
  };
}

/** `value` when it is a positive integer, `fallback` when undefined; else `CONFIG_INVALID`. */
function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new FnbaseError("CONFIG_INVALID", `Invalid ${name}: must be an integer >= 0: ${value}`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new FnbaseError(
      "CONFIG_INVALID",
      `Invalid ${name}: must be a positive integer: ${value}`,
    );
  }
  return value;
}
