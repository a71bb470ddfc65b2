import { resolve } from "node:path";
import { FnbaseError, readEnv } from "@fnbase/shared";
import type { SandboxSetting } from "./runtime/sandbox.js";

/** Options of {@link startServer}; every one has a documented default. */
export interface ServerOptions {
  /** Port to listen on; 0 picks a free one. Default 4400. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Directory for the store, deployments, module cache and keys. Default `./.fnbase`. */
  dataDir?: string;
  /** Admin API key; default `FNBASE_ADMIN_KEY` or one generated at first start. */
  adminKey?: string;
  /** Master key sealing secrets (64 hex chars or base64 of 32 bytes); default `FNBASE_MASTER_KEY` or `<dataDir>/master.key`. */
  masterKey?: string;
  /** App served by `/functions/*` and `/api/functions/*` when no app id or domain picks one. */
  defaultApp?: string;
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

/** Options with every default filled in. */
export type ResolvedOptions = Required<
  Omit<
    ServerOptions,
    "adminKey" | "masterKey" | "defaultApp" | "denoPath" | "npmRegistry" | "onFunctionOutput"
  >
> &
  Pick<
    ServerOptions,
    "adminKey" | "masterKey" | "defaultApp" | "denoPath" | "npmRegistry" | "onFunctionOutput"
  >;

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

function sandboxSetting(v: string): SandboxSetting {
  if (v === "auto" || v === "require" || v === "off") return v;
  throw new FnbaseError("CONFIG_INVALID", `Invalid sandbox setting: ${JSON.stringify(v)}`, {
    hint: "Use auto, require or off (FNBASE_SANDBOX)",
  });
}

function positive(name: string, v: number, min: number): number {
  if (!Number.isFinite(v) || v < min) {
    throw new FnbaseError("CONFIG_INVALID", `Invalid ${name}: ${v}`, {
      hint: `It must be a number of at least ${min}`,
    });
  }
  return Math.floor(v);
}

/** Fills in defaults; throws `CONFIG_INVALID` for a value that cannot work. */
export function resolveOptions(o: ServerOptions): ResolvedOptions {
  return {
    port: o.port ?? 4400,
    host: o.host ?? "127.0.0.1",
    dataDir: resolve(o.dataDir ?? ".fnbase"),
    adminKey: o.adminKey,
    masterKey: o.masterKey,
    defaultApp: o.defaultApp,
    requestTimeoutMs: o.requestTimeoutMs ?? 300_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
    bootTimeoutMs: o.bootTimeoutMs ?? 60_000,
    spareInstances: o.spareInstances ?? 1,
    maxBodyBytes: o.maxBodyBytes ?? 2 * 1024 ** 3,
    maxUploadBytes: o.maxUploadBytes ?? 20 * 1024 ** 2,
    maxRecordBytes: o.maxRecordBytes ?? 1024 ** 2,
    maxEntityBodyBytes: o.maxEntityBodyBytes ?? 16 * 1024 ** 2,
    maxImportBytes: o.maxImportBytes ?? 50 * 1024 ** 2,
    keepDeployments: o.keepDeployments ?? 20,
    corsAnyOrigin: o.corsAnyOrigin ?? false,
    denoPath: o.denoPath,
    allowAll: o.allowAll ?? false,
    sandbox: sandboxSetting(o.sandbox ?? readEnv("FNBASE_SANDBOX") ?? "auto"),
    cgroup: o.cgroup ?? readEnv("FNBASE_CGROUP") ?? "auto",
    memoryLimitMb: positive("memoryLimitMb", o.memoryLimitMb ?? 256, 64),
    cpuTimeLimitMs: positive("cpuTimeLimitMs", o.cpuTimeLimitMs ?? 10_000, 10),
    instanceDiskBytes: positive("instanceDiskBytes", o.instanceDiskBytes ?? 64 * 1024 ** 2, 4096),
    npmRegistry: registryUrl(o.npmRegistry ?? readEnv("FNBASE_NPM_REGISTRY")),
    logRetentionMs: o.logRetentionMs ?? 7 * 24 * 3_600_000,
    logMaxBytesPerApp: o.logMaxBytesPerApp ?? 100 * 1024 ** 2,
    logPruneIntervalMs: o.logPruneIntervalMs ?? 60_000,
    logLinesPerSecond: o.logLinesPerSecond ?? 500,
    logBurstLines: o.logBurstLines ?? 2_000,
    onFunctionOutput: o.onFunctionOutput,
  };
}
